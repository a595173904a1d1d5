"""Move a virtual IP between hosts (network namespaces here), or ask keepalived to.

``VipFailover`` changes addresses directly through pyroute2: it is for VIPs that no VRRP
daemon manages (a daemon would fight the change).  ``KeepalivedFailover`` only writes the
``track_file`` keepalived watches and waits for the state callback, because with VRRP the
daemons, not we, must decide who holds the address.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute

from hub.drivers import garp
from hub.drivers.base import (
    Operation,
    OperationError,
    Outcome,
    Params,
    Plan,
    TargetNotAllowedError,
    UnknownTargetError,
    VerifyError,
    require_str,
    wait_until,
)

NETNS_DIR = Path("/run/netns")


@dataclass(frozen=True)
class VipHost:
    """A host that may hold the VIP: its network namespace (None: ours) and interface."""

    name: str
    ifname: str
    netns: str | None = None


@dataclass(frozen=True)
class VipConfig:
    """A VIP and the hosts allowed to hold it; ``track_files`` only for keepalived."""

    address: str
    prefixlen: int
    hosts: Mapping[str, VipHost]
    track_files: Mapping[str, str] | None = None


def _open(host: VipHost) -> Any:
    if host.netns is not None and not (NETNS_DIR / host.netns).exists():
        raise OperationError(f"network namespace {host.netns!r} of {host.name} does not exist")
    # flags=0: never create a namespace because of a typo in the configuration
    return IPRoute(netns=host.netns, flags=0) if host.netns else IPRoute()


def _index(ipr: Any, host: VipHost) -> int:
    found = ipr.link_lookup(ifname=host.ifname)
    if not found:
        raise OperationError(f"{host.name} has no interface {host.ifname}")
    return int(found[0])


def holds(host: VipHost, address: str) -> bool:
    """Whether the address is configured on the host's interface (address dump)."""
    with _open(host) as ipr:
        idx = _index(ipr, host)
        return any(
            a.get_attr("IFA_ADDRESS") == address
            for a in ipr.get_addr(index=idx, family=socket.AF_INET)
        )


def resolve_vip(vips: Mapping[str, VipConfig], params: Params) -> tuple[VipConfig, VipHost]:
    name = require_str(params, "vip")
    vip = vips.get(name) or next((v for v in vips.values() if v.address == name), None)
    if vip is None:
        raise UnknownTargetError(
            f"unknown VIP {name!r}: declare it as [vips.<name>] in the TOML file that "
            "HUB_CONFIG names (address = \"192.0.2.10\", prefixlen = 24, hosts = "
            "{lb1 = {ifname = \"eth0\"}, lb2 = {ifname = \"eth0\"}}), then restart the hub")
    to = require_str(params, "to")
    if to not in vip.hosts:
        raise TargetNotAllowedError(f"{to!r} is not a host of VIP {vip.address}")
    return vip, vip.hosts[to]


def failback(vip: VipConfig, params: Params) -> tuple[str, dict[str, Any]] | None:
    """Undo = move back to ``from`` if given, else to the other host of a pair."""
    back = params.get("from")
    if not isinstance(back, str):
        others = [h for h in vip.hosts if h != params.get("to")]
        if len(others) != 1:
            return None
        back = others[0]
    return "vip.failover", {"vip": params.get("vip"), "to": back, "from": params.get("to")}


class VipFailover(Operation):
    """``vip.failover {vip, to}``: address off the old holder(s), onto ``to``, then GARP."""

    action = "vip.failover"

    def __init__(self, vips: Mapping[str, VipConfig], garp_count: int = 2) -> None:
        self.vips = vips
        self.garp_count = garp_count

    def holders(self, vip: VipConfig) -> list[str]:
        return [name for name, host in vip.hosts.items() if holds(host, vip.address)]

    def plan(self, params: Params) -> Plan:
        vip, new = resolve_vip(self.vips, params)
        holders = self.holders(vip)
        old = [h for h in holders if h != new.name]
        changes = [f"remove {vip.address} from {h} ({vip.hosts[h].ifname})" for h in old]
        if new.name not in holders:
            changes.append(f"add {vip.address}/{vip.prefixlen} on {new.name} ({new.ifname})")
            changes.append(f"send gratuitous ARP for {vip.address} from {new.name}")
        now = ", ".join(holders) or "nobody"
        return Plan(
            summary=f"{vip.address} is held by {now}; move it to {new.name}",
            changes=changes,
            current={"holders": holders},
            noop=not changes,
        )

    def apply(self, params: Params, plan: Plan) -> Outcome:
        vip, new = resolve_vip(self.vips, params)
        holders = self.holders(vip)
        for name in holders:
            if name != new.name:
                host = vip.hosts[name]
                with _open(host) as ipr:
                    ipr.addr("del", index=_index(ipr, host), address=vip.address,
                             prefixlen=vip.prefixlen)
        if new.name not in holders:
            with _open(new) as ipr:
                ipr.addr("add", index=_index(ipr, new), address=vip.address,
                         prefixlen=vip.prefixlen)
        self.announce(new, vip.address)
        return Outcome(
            output=f"{vip.address} moved from {', '.join(holders) or 'nobody'} to {new.name}",
            data={"previous": holders, "holder": new.name},
        )

    def announce(self, host: VipHost, address: str) -> None:
        """Gratuitous ARP from inside the holder's namespace (a raw socket lives in one)."""
        script = [sys.executable, garp.__file__, host.ifname, address, str(self.garp_count)]
        args = ["ip", "netns", "exec", host.netns, *script] if host.netns else script
        proc = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
        if proc.returncode != 0:
            raise OperationError(f"gratuitous ARP from {host.name} failed: {proc.stderr.strip()}")

    def verify(self, params: Params) -> Outcome:
        vip, new = resolve_vip(self.vips, params)
        holders = self.holders(vip)
        if holders != [new.name]:
            raise VerifyError(f"{vip.address} is held by {holders}, expected only {new.name}")
        return Outcome(output=f"{vip.address} is on {new.name} only", data={"holders": holders})

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        vip, _new = resolve_vip(self.vips, params)
        return failback(vip, params)


class KeepalivedFailover(Operation):
    """Fail over by lowering the other hosts' keepalived ``track_file`` value.

    keepalived reads the integer in each track_file (with ``weight 0`` any non-zero value
    means FAULT; with a weight, value * weight is added to the priority).  ``is_master``
    is a predicate ``(vip, host) -> bool`` fed by keepalived's notify callbacks (the
    ``/api/v1/events/keepalived`` endpoint); apply waits until it says ``to`` is master.
    """

    action = "vip.failover"

    def __init__(
        self,
        vips: Mapping[str, VipConfig],
        is_master: Callable[[str, str], bool],
        demote_value: int = 1,
        timeout: float = 30.0,
    ) -> None:
        self.vips = vips
        self.is_master = is_master
        self.demote_value = demote_value
        self.timeout = timeout

    def _files(self, vip: VipConfig) -> dict[str, Path]:
        if not vip.track_files or set(vip.track_files) != set(vip.hosts):
            raise OperationError(f"VIP {vip.address} needs a track_file for every host")
        return {h: Path(p) for h, p in vip.track_files.items()}

    def _wanted(self, vip: VipConfig, to: str) -> dict[str, str]:
        return {h: "0" if h == to else str(self.demote_value) for h in vip.hosts}

    def plan(self, params: Params) -> Plan:
        vip, new = resolve_vip(self.vips, params)
        files = self._files(vip)
        current = {h: p.read_text().strip() if p.exists() else None for h, p in files.items()}
        wanted = self._wanted(vip, new.name)
        changes = [f"write {wanted[h]} to {files[h]} ({h})" for h in files
                   if current[h] != wanted[h]]
        changes.append(f"wait up to {self.timeout:g}s for {new.name} to report MASTER")
        noop = len(changes) == 1 and self.is_master(vip.address, new.name)
        return Plan(summary=f"make {new.name} keepalived master for {vip.address}",
                    changes=[] if noop else changes, current={"track_files": current},
                    noop=noop)

    def apply(self, params: Params, plan: Plan) -> Outcome:
        vip, new = resolve_vip(self.vips, params)
        files, wanted = self._files(vip), self._wanted(vip, new.name)
        for host, path in files.items():
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(wanted[host] + "\n")
            os.replace(tmp, path)  # atomic: keepalived never reads a half-written file
        wait_until(lambda: self.is_master(vip.address, new.name), self.timeout,
                   f"{new.name} to become master of {vip.address}")
        return Outcome(output=f"{new.name} is master of {vip.address}",
                       data={"holder": new.name, "track_files": wanted})

    def verify(self, params: Params) -> Outcome:
        vip, new = resolve_vip(self.vips, params)
        if not self.is_master(vip.address, new.name):
            raise VerifyError(f"{new.name} is not master of {vip.address}")
        return Outcome(output=f"{new.name} is master of {vip.address}")

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        vip, _new = resolve_vip(self.vips, params)
        return failback(vip, params)
