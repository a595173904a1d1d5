"""Drain and re-enable IPVS real servers by changing their weight through pyroute2.

Three pyroute2 traps shape this module (see DESIGN.md, "Known pitfalls"):
- the ``"update"`` dest command maps to IPVS_CMD_DEL_DEST, so only ``"set"`` is used;
- ``IPVSDest`` defaults to direct routing (fwd_method 3), so the real server's existing
  method is always sent explicitly, or a NAT real server would silently become DR;
- ``IPVSDest.from_message`` keeps raw attributes next to decoded ones (and its own default
  fwd_method), so a dest decoded from a dump is never re-sent: a fresh one is built.
The message building is pure (``build_dest``, ``plan_weight_change``) to be testable
without a kernel; these machines' kernels have no IPVS module.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyroute2 import IPVS, IPVSDest, IPVSService

from hub.drivers.base import (
    IpvsMember,
    IpvsSettings,
    Operation,
    OperationError,
    Outcome,
    Params,
    Plan,
    Pool,
    VerifyError,
    lookup_pool,
    wait_until,
)

FWD_METHODS: dict[str, int] = {"masq": 0, "local": 1, "tunnel": 2, "route": 3}
FWD_NAMES: dict[int, str] = {v: k for k, v in FWD_METHODS.items()}
PROTOCOLS: dict[str, int] = {
    "tcp": socket.IPPROTO_TCP,
    "udp": socket.IPPROTO_UDP,
    "sctp": socket.IPPROTO_SCTP,
}


@dataclass(frozen=True)
class DestInfo:
    """A real server as the kernel reports it (decoded once, never sent back)."""

    address: str
    port: int
    fwd_method: int
    weight: int
    active_conns: int = 0
    inactive_conns: int = 0
    u_thresh: int = 0
    l_thresh: int = 0
    tun_type: int = 0
    tun_port: int = 0
    tun_flags: int = 0


@dataclass(frozen=True)
class WeightChange:
    """The result of planning: the dest as it is and the weight it will get."""

    current: DestInfo
    new_weight: int

    @property
    def noop(self) -> bool:
        return self.current.weight == self.new_weight


def parse_dest(msg: Any) -> DestInfo:
    """Decode one message of a ``dest dump`` from its raw attributes."""
    dest = msg.get_attr("IPVS_CMD_ATTR_DEST")
    if dest is None:
        raise OperationError("IPVS dest dump message without a dest")
    return DestInfo(
        address=str(dest.get_attr("IPVS_DEST_ATTR_ADDR")),
        port=int(dest.get_attr("IPVS_DEST_ATTR_PORT")),
        fwd_method=int(dest.get_attr("IPVS_DEST_ATTR_FWD_METHOD")) & 0x7,
        weight=int(dest.get_attr("IPVS_DEST_ATTR_WEIGHT")),
        active_conns=int(dest.get_attr("IPVS_DEST_ATTR_ACTIVE_CONNS") or 0),
        inactive_conns=int(dest.get_attr("IPVS_DEST_ATTR_INACT_CONNS") or 0),
        u_thresh=int(dest.get_attr("IPVS_DEST_ATTR_U_THRESH") or 0),
        l_thresh=int(dest.get_attr("IPVS_DEST_ATTR_L_THRESH") or 0),
        tun_type=int(dest.get_attr("IPVS_DEST_ATTR_TUN_TYPE") or 0),
        tun_port=int(dest.get_attr("IPVS_DEST_ATTR_TUN_PORT") or 0),
        tun_flags=int(dest.get_attr("IPVS_DEST_ATTR_TUN_FLAGS") or 0),
    )


def find_dest(current_dump: Iterable[DestInfo], member: IpvsMember) -> DestInfo:
    for dest in current_dump:
        if dest.address == member.address and dest.port == member.port:
            return dest
    raise OperationError(f"real server {member.address}:{member.port} not in the IPVS service")


def plan_weight_change(
    current_dump: Sequence[DestInfo], server: IpvsMember, new_weight: int
) -> WeightChange:
    """Find ``server`` in the dump and pair it with the weight it should get."""
    if not 0 <= new_weight <= 65535:
        raise OperationError(f"weight {new_weight} out of range")
    return WeightChange(current=find_dest(current_dump, server), new_weight=new_weight)


def build_dest(change: WeightChange) -> Any:
    """A fresh IPVSDest for ``set``: everything the kernel had, only the weight changed.

    The kernel's SET_DEST replaces every field, so thresholds and tunnel settings are
    carried over too; leaving them to IPVSDest's defaults would reset them to 0.
    """
    cur = change.current
    return IPVSDest(
        addr=cur.address,
        port=cur.port,
        fwd_method=cur.fwd_method,
        weight=change.new_weight,
        u_thresh=cur.u_thresh,
        l_thresh=cur.l_thresh,
        tun_type=cur.tun_type,
        tun_port=cur.tun_port,
        tun_flags=cur.tun_flags,
    )


def build_service(settings: IpvsSettings) -> Any:
    return IPVSService(
        addr=settings.vip, port=settings.port, protocol=PROTOCOLS[settings.protocol]
    )


def open_ipvs(netns: str | None = None) -> Any:
    """Open the IPVS generic netlink socket; a kernel without IPVS gives OperationError."""
    try:
        return IPVS(netns=netns) if netns else IPVS()
    except Exception as exc:  # pyroute2 raises NetlinkError(ENOENT) for a missing family
        raise OperationError(f"cannot open IPVS (is the ip_vs module loaded?): {exc}") from exc


class IpvsDriver:
    """Reads and changes the real servers of one configured IPVS service."""

    def __init__(self, settings: IpvsSettings) -> None:
        self.settings = settings

    def dests(self) -> list[DestInfo]:
        ipvs = open_ipvs(self.settings.netns)
        try:
            return [parse_dest(m) for m in ipvs.dest("dump", service=build_service(self.settings))]
        finally:
            ipvs.close()

    def set_weight(self, change: WeightChange) -> None:
        ipvs = open_ipvs(self.settings.netns)
        try:
            ipvs.dest("set", service=build_service(self.settings), dest=build_dest(change))
        finally:
            ipvs.close()

    def active_connections(self, member: IpvsMember) -> int:
        return find_dest(self.dests(), member).active_conns


def wait_for_zero_active_connections(
    driver: IpvsDriver, member: IpvsMember, timeout: float, interval: float = 0.5
) -> None:
    """Block until the kernel reports no active connections to ``member``."""
    wait_until(
        lambda: driver.active_connections(member) == 0,
        timeout,
        f"active connections to {member.address}:{member.port} to reach zero",
        interval,
    )


class _IpvsLbOperation(Operation):
    def __init__(self, pools: Mapping[str, Pool]) -> None:
        self.pools = pools

    def _resolve(self, params: Params) -> tuple[Pool, str, IpvsSettings]:
        pool = lookup_pool(self.pools, params, "ipvs")
        server = pool.check_member(params.get("server"))
        if pool.ipvs is None or server not in pool.ipvs.members:
            raise OperationError(f"pool {pool.name} has no IPVS address for {server}")
        return pool, server, pool.ipvs

    def _new_weight(self, member: IpvsMember) -> int:
        raise NotImplementedError

    def _check_safe(self, pool: Pool, server: str, dump: Sequence[DestInfo]) -> None:
        """Hook for drain: refuse to take the last weighted real server out."""

    def _change(self, params: Params) -> tuple[Pool, str, IpvsDriver, WeightChange]:
        pool, server, settings = self._resolve(params)
        driver = IpvsDriver(settings)
        dump = driver.dests()
        member = settings.members[server]
        change = plan_weight_change(dump, member, self._new_weight(member))
        if not change.noop:
            self._check_safe(pool, server, dump)
        return pool, server, driver, change

    def plan(self, params: Params) -> Plan:
        pool, server, driver, change = self._change(params)
        cur = change.current
        method = FWD_NAMES.get(cur.fwd_method, str(cur.fwd_method))
        changes = [] if change.noop else [
            f"{cur.address}:{cur.port} ({server}) weight {cur.weight} -> {change.new_weight}"
            f" (forwarding {method} kept)"
        ]
        if FWD_METHODS[driver.settings.fwd_method] != cur.fwd_method:
            changes.append(f"note: kernel uses {method}, config says {driver.settings.fwd_method}")
        current = {"address": cur.address, "port": cur.port, "weight": cur.weight,
                   "fwd_method": method, "active_conns": cur.active_conns}
        summary = f"{server} in pool {pool.name}: weight {cur.weight} -> {change.new_weight}"
        return Plan(summary=summary, changes=changes, current=current, noop=change.noop)

    def apply(self, params: Params, plan: Plan) -> Outcome:
        _pool, server, driver, change = self._change(params)
        if not change.noop:
            driver.set_weight(change)
        return Outcome(output=f"{server} weight set to {change.new_weight}",
                       data={"weight": change.new_weight})

    def verify(self, params: Params) -> Outcome:
        _pool, server, settings = self._resolve(params)
        member = settings.members[server]
        dest = find_dest(IpvsDriver(settings).dests(), member)
        if dest.weight != self._new_weight(member):
            raise VerifyError(f"{server} has weight {dest.weight}, expected "
                              f"{self._new_weight(member)}")
        return Outcome(output=f"{server} weight {dest.weight}", data={"weight": dest.weight})


class IpvsDrain(_IpvsLbOperation):
    """Weight 0: no new connections; ``wait_timeout`` waits for active ones to end."""

    action = "lb.drain"

    def _new_weight(self, member: IpvsMember) -> int:
        return 0

    def _check_safe(self, pool: Pool, server: str, dump: Sequence[DestInfo]) -> None:
        assert pool.ipvs is not None
        others = [
            find_dest(dump, m).weight
            for name, m in pool.ipvs.members.items()
            if name != server and any(d.address == m.address and d.port == m.port for d in dump)
        ]
        if not any(w > 0 for w in others):
            raise OperationError(
                f"refusing to drain {server}: it is the last weighted server of pool {pool.name}"
            )

    def apply(self, params: Params, plan: Plan) -> Outcome:
        outcome = super().apply(params, plan)
        timeout = float(params.get("wait_timeout") or 0)
        if timeout > 0:
            _pool, server, settings = self._resolve(params)
            driver = IpvsDriver(settings)
            wait_for_zero_active_connections(driver, settings.members[server], timeout)
        return outcome

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        return "lb.ready", {"pool": params.get("pool"), "server": params.get("server")}


class IpvsReady(_IpvsLbOperation):
    """Back to the configured weight of the member."""

    action = "lb.ready"

    def _new_weight(self, member: IpvsMember) -> int:
        return member.weight

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        return "lb.drain", {"pool": params.get("pool"), "server": params.get("server")}
