"""IPVS message building and the drain/ready flow against a recording fake socket."""

from __future__ import annotations

from typing import Any

import pytest
from pyroute2.netlink.generic import ipvs as genl

from hub.drivers import ipvs as mod
from hub.drivers.base import IpvsMember, IpvsSettings, OperationError, Pool, VerifyError
from hub.drivers.ipvs import (
    DestInfo,
    IpvsDrain,
    IpvsReady,
    build_dest,
    parse_dest,
    plan_weight_change,
)


def dump_msg(addr: str, weight: int, fwd: int, active: int = 0, u_thresh: int = 0) -> Any:
    """A dest message as the kernel sends it in a dump (encoded, then decoded)."""
    msg = genl.ipvsmsg()
    msg["cmd"] = genl.IPVS_CMD_NEW_DEST
    msg["version"] = 1
    msg["attrs"] = [("IPVS_CMD_ATTR_DEST", {"attrs": [
        ("IPVS_DEST_ATTR_ADDR_FAMILY", 2),
        ("IPVS_DEST_ATTR_ADDR", addr),
        ("IPVS_DEST_ATTR_PORT", 80),
        ("IPVS_DEST_ATTR_FWD_METHOD", fwd),
        ("IPVS_DEST_ATTR_WEIGHT", weight),
        ("IPVS_DEST_ATTR_U_THRESH", u_thresh),
        ("IPVS_DEST_ATTR_L_THRESH", 0),
        ("IPVS_DEST_ATTR_ACTIVE_CONNS", active),
        ("IPVS_DEST_ATTR_INACT_CONNS", 0),
    ]})]
    msg.encode()
    decoded = genl.ipvsmsg(msg.data)
    decoded.decode()
    return decoded


def nla(dest: Any) -> dict[str, Any]:
    return dict(dest.dump_nla()["attrs"])


def test_parse_dest_reads_raw_forwarding_method() -> None:
    info = parse_dest(dump_msg("10.231.1.11", 5, 0, active=7, u_thresh=100))
    assert info == DestInfo("10.231.1.11", 80, 0, 5, active_conns=7, u_thresh=100)


def test_build_dest_is_fresh_and_keeps_method_and_thresholds() -> None:
    dump = [parse_dest(dump_msg("10.231.1.11", 5, 0, u_thresh=100)),
            parse_dest(dump_msg("10.231.1.12", 5, 2))]
    change = plan_weight_change(dump, IpvsMember("10.231.1.11", 80, 5), 0)
    assert not change.noop
    attrs = nla(build_dest(change))
    assert attrs["IPVS_DEST_ATTR_FWD_METHOD"] == 0  # masq, not IPVSDest's default DR (3)
    assert attrs["IPVS_DEST_ATTR_WEIGHT"] == 0
    assert attrs["IPVS_DEST_ATTR_U_THRESH"] == 100
    assert attrs["IPVS_DEST_ATTR_ADDR"] == "10.231.1.11"
    # every attribute exactly once (a dest decoded from a dump would carry duplicates)
    keys = [k for k, _ in build_dest(change).dump_nla()["attrs"]]
    assert len(keys) == len(set(keys))
    tunnel = plan_weight_change(dump, IpvsMember("10.231.1.12", 80, 5), 5)
    assert tunnel.noop and nla(build_dest(tunnel))["IPVS_DEST_ATTR_FWD_METHOD"] == 2


def test_plan_weight_change_rejects_unknown_server_and_bad_weight() -> None:
    dump = [parse_dest(dump_msg("10.231.1.11", 5, 0))]
    with pytest.raises(OperationError):
        plan_weight_change(dump, IpvsMember("10.231.1.99", 80), 0)
    with pytest.raises(OperationError):
        plan_weight_change(dump, IpvsMember("10.231.1.11", 80), 70000)


class FakeIPVS:
    """Stands in for pyroute2.IPVS: a kernel table plus a log of commands."""

    table: dict[str, tuple[int, int]] = {}
    log: list[tuple[str, dict[str, Any]]] = []

    def __init__(self, netns: str | None = None) -> None:
        pass

    def dest(self, command: str, service: Any, dest: Any = None) -> list[Any]:
        if command == "dump":
            return [dump_msg(a, w, f) for a, (w, f) in self.table.items()]
        assert command == "set", f"only 'set' may change a dest, got {command!r}"
        attrs = nla(dest)
        self.log.append((command, attrs))
        self.table[attrs["IPVS_DEST_ATTR_ADDR"]] = (
            attrs["IPVS_DEST_ATTR_WEIGHT"], attrs["IPVS_DEST_ATTR_FWD_METHOD"])
        return []

    def close(self) -> None:
        pass


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> dict[str, Pool]:
    FakeIPVS.table = {"10.231.1.11": (5, 0), "10.231.1.12": (3, 0)}
    FakeIPVS.log = []
    monkeypatch.setattr(mod, "IPVS", FakeIPVS)
    members = {"r1": IpvsMember("10.231.1.11", 80, 5), "r2": IpvsMember("10.231.1.12", 80, 3)}
    settings = IpvsSettings(vip="10.231.1.100", port=80, members=members)
    return {"lvs": Pool(name="lvs", driver="ipvs", members=("r1", "r2"), ipvs=settings)}


def test_drain_and_ready_use_set_with_existing_method(pools: dict[str, Pool]) -> None:
    drain, ready = IpvsDrain(pools), IpvsReady(pools)
    params = {"pool": "lvs", "server": "r1"}
    with pytest.raises(VerifyError):
        drain.verify(params)
    plan = drain.plan(params)
    assert plan.current["weight"] == 5 and plan.current["fwd_method"] == "masq"
    drain.apply(params, plan)
    drain.verify(params)
    assert FakeIPVS.log[-1][1]["IPVS_DEST_ATTR_FWD_METHOD"] == 0
    assert FakeIPVS.table["10.231.1.11"] == (0, 0)
    with pytest.raises(OperationError, match="last weighted"):
        drain.plan({"pool": "lvs", "server": "r2"})
    assert drain.inverse(params) == ("lb.ready", params)
    ready.apply(params, ready.plan(params))
    ready.verify(params)
    assert FakeIPVS.table["10.231.1.11"] == (5, 0)
    assert ready.plan(params).noop


def test_plan_reports_config_method_mismatch(pools: dict[str, Pool]) -> None:
    FakeIPVS.table["10.231.1.11"] = (5, 3)
    plan = IpvsDrain(pools).plan({"pool": "lvs", "server": "r1"})
    assert "forwarding route kept" in plan.changes[0]
    assert "config says masq" in plan.changes[1]
