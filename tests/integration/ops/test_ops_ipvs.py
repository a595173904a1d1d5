"""IpvsDrain / IpvsReady against the kernel's IPVS, inside a namespace the test creates.

Skips when the kernel has no IPVS (no ip_vs module): then nothing here can run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from hub.drivers.base import IpvsMember, IpvsSettings, OperationError, Pool
from hub.drivers.ipvs import (
    FWD_METHODS,
    IpvsDrain,
    IpvsDriver,
    IpvsReady,
    build_service,
    open_ipvs,
)

VIP = "10.231.1.100"
MEMBERS = {
    "r1": IpvsMember(address="10.231.1.11", port=80, weight=5),
    "r2": IpvsMember(address="10.231.1.12", port=80, weight=3),
}


@pytest.fixture
def ipvs_ns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("IPVS in a network namespace needs root")
    if shutil.which("ip") is None:
        pytest.skip("ip binary not installed (Debian package 'iproute2')")
    if shutil.which("modprobe"):
        subprocess.run(["modprobe", "ip_vs"], check=False, capture_output=True)
    name = f"ohipvs{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        try:
            open_ipvs(name).close()
        except OperationError as exc:
            pytest.skip(f"this kernel has no IPVS support (ip_vs module not available): {exc}")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def test_drain_keeps_masq_forwarding_and_ready_restores_weight(ipvs_ns: str) -> None:
    from pyroute2 import IPVSDest

    settings = IpvsSettings(vip=VIP, port=80, members=MEMBERS, fwd_method="masq", netns=ipvs_ns)
    ipvs = open_ipvs(ipvs_ns)
    try:
        svc = build_service(settings)
        ipvs.service("add", service=svc)
        for m in MEMBERS.values():
            ipvs.dest("add", service=svc, dest=IPVSDest(
                addr=m.address, port=m.port, weight=m.weight, fwd_method=FWD_METHODS["masq"]))
    finally:
        ipvs.close()
    pools = {"lvs": Pool(name="lvs", driver="ipvs", members=("r1", "r2"), ipvs=settings)}
    drain, ready = IpvsDrain(pools), IpvsReady(pools)
    params = {"pool": "lvs", "server": "r1", "wait_timeout": 2}

    plan = drain.plan(params)
    assert plan.changes == ["10.231.1.11:80 (r1) weight 5 -> 0 (forwarding masq kept)"]
    drain.apply(params, plan)
    drain.verify(params)
    dests = {d.address: d for d in IpvsDriver(settings).dests()}
    assert dests["10.231.1.11"].weight == 0
    assert dests["10.231.1.11"].fwd_method == FWD_METHODS["masq"]  # not switched to DR
    assert dests["10.231.1.12"].weight == 3
    with pytest.raises(OperationError, match="last weighted"):
        drain.plan({"pool": "lvs", "server": "r2"})

    ready.apply({"pool": "lvs", "server": "r1"}, ready.plan({"pool": "lvs", "server": "r1"}))
    ready.verify({"pool": "lvs", "server": "r1"})
    dests = {d.address: d for d in IpvsDriver(settings).dests()}
    assert (dests["10.231.1.11"].weight, dests["10.231.1.11"].fwd_method) == (5, 0)
