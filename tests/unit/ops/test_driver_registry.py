"""build_operations: action names and the choice of implementation per pool / VIP."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.drivers import Pool, TargetNotAllowedError, VipConfig, VipHost, build_operations
from hub.drivers.haproxy import LbDrain
from hub.drivers.ipvs import IpvsReady
from hub.drivers.registry import LbDispatch, VipDispatch
from hub.drivers.vip import KeepalivedFailover, VipFailover


def test_dispatch(tmp_path: Path) -> None:
    pools = {"web": Pool("web", "haproxy", ("a",)), "lvs": Pool("lvs", "ipvs", ("b",))}
    hosts = {h: VipHost(h, "eth0") for h in ("x", "y")}
    vips = {
        "plain": VipConfig("10.231.0.1", 24, hosts),
        "vrrp": VipConfig("10.231.0.2", 24, hosts, track_files={"x": "/x", "y": "/y"}),
    }
    ops = build_operations(pools, vips, tmp_path, [tmp_path], is_master=lambda v, h: True)
    assert set(ops) == {"lb.drain", "lb.ready", "vip.failover", "backup.restore"}
    drain, ready, vip = ops["lb.drain"], ops["lb.ready"], ops["vip.failover"]
    assert isinstance(drain, LbDispatch) and isinstance(ready, LbDispatch)
    assert isinstance(drain._pick({"pool": "web"}), LbDrain)
    assert isinstance(ready._pick({"pool": "lvs"}), IpvsReady)
    with pytest.raises(TargetNotAllowedError):
        drain.plan({"pool": "nope", "server": "a"})
    assert isinstance(vip, VipDispatch)
    assert isinstance(vip._pick({"vip": "plain", "to": "x"}), VipFailover)
    assert isinstance(vip._pick({"vip": "vrrp", "to": "x"}), KeepalivedFailover)
    assert ops["backup.restore"].inverse({}) is None
