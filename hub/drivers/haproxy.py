"""Drain and re-enable HAProxy servers through the runtime API (admin UNIX socket).

The runtime API answers a successful ``set server`` with an empty reply and anything it
does not like with a line of text ("No such server."), so every non-empty reply to a
``set`` command is treated as a failure.  One command per connection (non-interactive
mode): HAProxy closes the socket after answering, so reading until EOF gives the reply.
"""

from __future__ import annotations

import csv
import io
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hub.drivers.base import (
    HaproxySettings,
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

# srv_admin_state bits (haproxy include/haproxy/server-t.h)
ADMF_FMAINT = 0x01
ADMF_IMAINT = 0x02
ADMF_CMAINT = 0x04
ADMF_FDRAIN = 0x08
ADMF_IDRAIN = 0x10
ADMF_RMAINT = 0x20
ADMF_HMAINT = 0x40
MAINT_MASK = ADMF_FMAINT | ADMF_IMAINT | ADMF_CMAINT | ADMF_RMAINT | ADMF_HMAINT
DRAIN_MASK = ADMF_FDRAIN | ADMF_IDRAIN
SRV_ST_RUNNING = 2

State = Literal["ready", "drain", "maint"]


@dataclass(frozen=True)
class ServerState:
    """One row of ``show servers state``, the fields the operations need."""

    name: str
    op_state: int
    admin_state: int
    weight: int
    address: str

    @property
    def drained(self) -> bool:
        return bool(self.admin_state & DRAIN_MASK)

    @property
    def in_maint(self) -> bool:
        return bool(self.admin_state & MAINT_MASK)

    @property
    def healthy(self) -> bool:
        """Up and taking new traffic: what must remain for the pool to keep serving."""
        return self.op_state == SRV_ST_RUNNING and not self.drained and not self.in_maint

    def describe(self) -> str:
        if self.in_maint:
            admin = "maint"
        elif self.drained:
            admin = "drain"
        else:
            admin = "ready"
        op = {0: "down", 1: "starting", 2: "up", 3: "stopping"}.get(self.op_state, "?")
        return f"{self.name}: {op}, admin {admin} (0x{self.admin_state:02x}), weight {self.weight}"


def parse_servers_state(text: str) -> dict[str, ServerState]:
    """Parse ``show servers state <backend>`` (version line, ``#`` header, rows)."""
    header: list[str] | None = None
    servers: dict[str, ServerState] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            header = line[1:].split()
            continue
        if header is None or not line.strip():
            continue
        row = dict(zip(header, line.split(), strict=False))
        try:
            state = ServerState(
                name=row["srv_name"],
                op_state=int(row["srv_op_state"]),
                admin_state=int(row["srv_admin_state"]),
                weight=int(row["srv_uweight"]),
                address=row.get("srv_addr", ""),
            )
        except (KeyError, ValueError) as exc:
            raise OperationError(f"unexpected 'show servers state' line: {line!r}") from exc
        servers[state.name] = state
    if header is None:
        raise OperationError(f"unexpected 'show servers state' reply: {text.strip()!r}")
    return servers


def parse_stat_csv(text: str) -> list[dict[str, str]]:
    """Parse ``show stat`` CSV (header line starts with ``# ``) into dict rows."""
    body = text.lstrip()
    if not body.startswith("# "):
        raise OperationError(f"unexpected 'show stat' reply: {text.strip()[:200]!r}")
    reader = csv.DictReader(io.StringIO(body[2:]))
    return [dict(row) for row in reader if row.get("pxname")]


class HaproxyClient:
    """Minimal runtime API client: one command per connection, reply read until EOF."""

    def __init__(self, socket_path: str, timeout: float = 5.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def command(self, cmd: str) -> str:
        if any(ch in cmd for ch in ";\n\r"):
            raise OperationError(f"refusing runtime API command with separators: {cmd!r}")
        chunks: list[bytes] = []
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(self.socket_path)
                sock.sendall(cmd.encode() + b"\n")
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise OperationError(f"HAProxy socket {self.socket_path}: {exc}") from exc
        return b"".join(chunks).decode(errors="replace")

    def servers_state(self, backend: str) -> dict[str, ServerState]:
        return parse_servers_state(self.command(f"show servers state {backend}"))

    def current_sessions(self, backend: str, server: str) -> int:
        for row in parse_stat_csv(self.command("show stat")):
            if row["pxname"] == backend and row["svname"] == server:
                return int(row.get("scur") or 0)
        raise OperationError(f"no stats for {backend}/{server}")

    def set_state(self, backend: str, server: str, state: State) -> None:
        reply = self.command(f"set server {backend}/{server} state {state}").strip()
        if reply:
            raise OperationError(f"HAProxy refused {state} of {backend}/{server}: {reply}")


def _settings(pool: Pool) -> HaproxySettings:
    if pool.haproxy is None:
        raise OperationError(f"pool {pool.name} has no haproxy settings")
    return pool.haproxy


class _HaproxyLbOperation(Operation):
    """Shared plumbing: resolve pool and server, read the member states."""

    target: State

    def __init__(self, pools: Mapping[str, Pool], timeout: float = 5.0) -> None:
        self.pools = pools
        self.timeout = timeout

    def _resolve(self, params: Params) -> tuple[Pool, str, HaproxyClient]:
        pool = lookup_pool(self.pools, params, "haproxy")
        server = pool.check_member(params.get("server"))
        return pool, server, HaproxyClient(_settings(pool).socket_path, self.timeout)

    def _states(self, pool: Pool, client: HaproxyClient) -> dict[str, ServerState]:
        states = client.servers_state(_settings(pool).backend)
        missing = [m for m in pool.members if m not in states]
        if missing:
            raise OperationError(
                f"backend {_settings(pool).backend} lacks configured members {missing}"
            )
        return {m: states[m] for m in pool.members}

    def _is_target(self, state: ServerState) -> bool:
        if self.target == "drain":
            return state.drained and not state.in_maint
        return not state.drained and not state.in_maint

    def _check_safe(self, pool: Pool, server: str, states: Mapping[str, ServerState]) -> None:
        """Hook for drain: refuse to take the last healthy server out."""

    def plan(self, params: Params) -> Plan:
        pool, server, client = self._resolve(params)
        states = self._states(pool, client)
        self._check_safe(pool, server, states)
        now = states[server]
        noop = self._is_target(now)
        changes = [] if noop else [f"{_settings(pool).backend}/{server}: state -> {self.target}"]
        summary = (
            f"{server} in pool {pool.name} is already {self.target}"
            if noop
            else f"set {server} in pool {pool.name} to {self.target} (now: {now.describe()})"
        )
        current: dict[str, Any] = {
            name: {"op_state": s.op_state, "admin_state": s.admin_state, "weight": s.weight}
            for name, s in states.items()
        }
        return Plan(summary=summary, changes=changes, current=current, noop=noop)

    def apply(self, params: Params, plan: Plan) -> Outcome:
        pool, server, client = self._resolve(params)
        self._check_safe(pool, server, self._states(pool, client))
        client.set_state(_settings(pool).backend, server, self.target)
        return Outcome(output=f"{_settings(pool).backend}/{server} set to {self.target}")

    def verify(self, params: Params) -> Outcome:
        pool, server, client = self._resolve(params)
        state = self._states(pool, client)[server]
        if not self._is_target(state):
            raise VerifyError(f"expected {self.target}, HAProxy reports {state.describe()}")
        return Outcome(output=state.describe(), data={"admin_state": state.admin_state})


class LbDrain(_HaproxyLbOperation):
    """Stop sending new traffic to one server; optionally wait for its sessions to end.

    Params: ``pool``, ``server``, and ``wait_timeout`` (seconds; 0 or absent: do not wait).
    Note that ``drain`` still lets persistent (stick) sessions reach the server.
    """

    action = "lb.drain"
    target: State = "drain"

    def _check_safe(self, pool: Pool, server: str, states: Mapping[str, ServerState]) -> None:
        others = [n for n, s in states.items() if n != server and s.healthy]
        if states[server].healthy and not others:
            raise OperationError(
                f"refusing to drain {server}: it is the last healthy server of pool {pool.name}"
            )

    def apply(self, params: Params, plan: Plan) -> Outcome:
        outcome = super().apply(params, plan)
        timeout = float(params.get("wait_timeout") or 0)
        if timeout <= 0:
            return outcome
        pool, server, client = self._resolve(params)
        backend = _settings(pool).backend
        wait_until(
            lambda: client.current_sessions(backend, server) == 0,
            timeout,
            f"sessions on {backend}/{server} to reach zero",
        )
        return Outcome(output=outcome.output + "; current sessions reached 0", data={"scur": 0})

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        return "lb.ready", {"pool": params.get("pool"), "server": params.get("server")}


class LbReady(_HaproxyLbOperation):
    """Put a drained (or maintenance) server back into rotation."""

    action = "lb.ready"
    target: State = "ready"

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        return "lb.drain", {"pool": params.get("pool"), "server": params.get("server")}
