"""VipFailover between two server namespaces, seen from a client namespace.

Topology (all created and removed by the fixture): namespaces A, B and C (client), each
with an ``eth0`` veth whose peer sits on bridge ``br0`` in a fourth namespace.  A and B
run an HTTP server on port 8080 answering their own name; the VIP starts on A.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ops_support import FETCH_SCRIPT, NAME_SERVER_SCRIPT, run

from hub.drivers.base import TargetNotAllowedError, VerifyError
from hub.drivers.vip import KeepalivedFailover, VipConfig, VipFailover, VipHost

VIP = "10.231.0.100"
ADDRS = {"A": "10.231.0.11", "B": "10.231.0.12", "C": "10.231.0.10"}


@dataclass
class Topology:
    ns: dict[str, str]  # role (A, B, C, BR) -> namespace name

    def fetch(self, timeout: float = 3.0) -> str:
        return run(["ip", "netns", "exec", self.ns["C"], sys.executable, "-c", FETCH_SCRIPT,
                    f"http://{VIP}:8080/", str(timeout)])

    def mac(self, role: str) -> str:
        out = run(["ip", "-n", self.ns[role], "-o", "link", "show", "eth0"])
        return out.split("link/ether ")[1].split()[0]

    def client_neigh(self) -> str:
        return run(["ip", "-n", self.ns["C"], "neigh", "show", VIP])


@pytest.fixture
def topology() -> Iterator[Topology]:
    if os.geteuid() != 0:
        pytest.skip("network namespace tests need root")
    if shutil.which("ip") is None:
        pytest.skip("ip binary not installed (Debian package 'iproute2')")
    tag = f"oh{os.getpid() % 100000}"
    ns = {role: f"{tag}{role.lower()}" for role in ("A", "B", "C", "BR")}
    servers: list[subprocess.Popen[str]] = []
    created: list[str] = []
    try:
        for name in ns.values():
            run(["ip", "netns", "add", name])
            created.append(name)
        br = ns["BR"]
        run(["ip", "-n", br, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", br, "link", "set", "br0", "up"])
        for role in ("A", "B", "C"):
            peer = f"p{role.lower()}"
            run(["ip", "link", "add", "eth0", "netns", ns[role], "type", "veth",
                 "peer", "name", peer, "netns", br])
            run(["ip", "-n", br, "link", "set", peer, "master", "br0", "up"])
            run(["ip", "-n", ns[role], "addr", "add", f"{ADDRS[role]}/24", "dev", "eth0"])
            run(["ip", "-n", ns[role], "link", "set", "eth0", "up"])
            run(["ip", "-n", ns[role], "link", "set", "lo", "up"])
        run(["ip", "-n", ns["A"], "addr", "add", f"{VIP}/24", "dev", "eth0"])
        for role in ("A", "B"):
            proc = subprocess.Popen(
                ["ip", "netns", "exec", ns[role], sys.executable, "-c", NAME_SERVER_SCRIPT,
                 role, "8080"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            servers.append(proc)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield Topology(ns=ns)
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        for name in created:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def vips(top: Topology) -> dict[str, VipConfig]:
    hosts = {r: VipHost(name=r, ifname="eth0", netns=top.ns[r]) for r in ("A", "B")}
    return {"web-vip": VipConfig(address=VIP, prefixlen=24, hosts=hosts)}


def test_failover_moves_traffic_and_back(topology: Topology) -> None:
    assert topology.fetch() == "A"
    assert topology.mac("A") in topology.client_neigh()
    op = VipFailover(vips(topology))
    params = {"vip": "web-vip", "to": "B"}

    plan = op.plan(params)
    assert plan.current == {"holders": ["A"]}
    assert not plan.noop
    assert plan.changes[0] == f"remove {VIP} from A (eth0)"
    with pytest.raises(VerifyError):
        op.verify(params)

    out = op.apply(params, plan)
    assert out.data == {"previous": ["A"], "holder": "B"}
    op.verify(params)
    # the gratuitous ARP updated the client's cache at once (no waiting for expiry)
    assert topology.mac("B") in topology.client_neigh()
    assert topology.fetch() == "B"
    assert op.plan(params).noop

    action, back = op.inverse(params) or ("", {})
    assert (action, back["to"]) == ("vip.failover", "A")
    op.apply(back, op.plan(back))
    op.verify(back)
    assert topology.fetch() == "A"


def test_unknown_vip_or_host_is_refused(topology: Topology) -> None:
    op = VipFailover(vips(topology))
    for params in ({"vip": "10.231.0.99", "to": "B"}, {"vip": VIP, "to": "C"}, {"vip": VIP}):
        with pytest.raises(TargetNotAllowedError):
            op.plan(params)
    assert op.plan({"vip": VIP, "to": "A"}).noop  # the address works as the VIP's key too


def test_keepalived_failover_writes_track_files(tmp_path: Path) -> None:
    files = {h: str(tmp_path / f"{h}.track") for h in ("A", "B")}
    hosts = {h: VipHost(name=h, ifname="eth0") for h in ("A", "B")}
    cfg = {"v": VipConfig(address=VIP, prefixlen=24, hosts=hosts, track_files=files)}
    master = {"host": "A"}
    calls: list[str] = []

    def is_master(address: str, host: str) -> bool:
        calls.append(host)
        if Path(files["A"]).exists() and Path(files["A"]).read_text().strip() == "1":
            master["host"] = "B"  # what keepalived's notify callback would report
        return master["host"] == host

    op = KeepalivedFailover(cfg, is_master, timeout=2)
    params = {"vip": "v", "to": "B"}
    plan = op.plan(params)
    assert plan.current == {"track_files": {"A": None, "B": None}}
    assert not plan.noop
    op.apply(params, plan)
    assert Path(files["A"]).read_text() == "1\n" and Path(files["B"]).read_text() == "0\n"
    op.verify(params)
    assert op.inverse(params) == ("vip.failover", {"vip": "v", "to": "A", "from": "B"})
