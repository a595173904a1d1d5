"""The contract every runbook operation implements, and the pool configuration.

A runbook step goes plan -> (approval) -> apply -> verify.  Keeping these as separate calls
lets a human approve exactly what `plan` showed, and lets the run record a failed post-check
separately from a failed change.  Drivers raise only the errors below so the runbook layer
can map them (``TargetNotAllowedError`` -> HTTP 422) without knowing any driver.
"""

from __future__ import annotations

import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Params = Mapping[str, Any]

# Names we pass to outside systems (HAProxy runtime API, file names) must not carry
# separators such as ";" (HAProxy command separator), "/" or whitespace.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


class OperationError(Exception):
    """Base error: the operation could not be planned, applied or verified."""


class TargetNotAllowedError(OperationError):
    """A parameter names something outside the configured targets (HTTP 422)."""


class VerifyError(OperationError):
    """The post-check found that the change did not take effect."""


class OperationTimeoutError(OperationError):
    """Waiting for a condition (sessions draining, failover callback) ran out of time."""


@dataclass(frozen=True)
class Plan:
    """A dry run: what is there now and exactly what `apply` will change."""

    summary: str
    changes: list[str]
    current: dict[str, Any]
    noop: bool


@dataclass(frozen=True)
class Outcome:
    """What `apply` or `verify` did, as text for the ticket and data for the run."""

    output: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HaproxySettings:
    """Where the pool lives in HAProxy: admin socket (``level admin``) and backend."""

    socket_path: str
    backend: str


@dataclass(frozen=True)
class IpvsMember:
    """One real server of an IPVS service, with the weight it has when ready."""

    address: str
    port: int
    weight: int = 1


@dataclass(frozen=True)
class IpvsSettings:
    """The IPVS virtual service and the real server behind each member name.

    ``fwd_method`` is what the service is expected to use ("masq", "tunnel", "route",
    "local"); the driver always re-sends the method the kernel currently has, and only
    reports a mismatch, so a wrong config value can never switch a live real server.
    """

    vip: str
    port: int
    members: Mapping[str, IpvsMember]
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    fwd_method: Literal["masq", "local", "tunnel", "route"] = "masq"
    netns: str | None = None


@dataclass(frozen=True)
class Pool:
    """A load-balanced pool as declared in the hub's configuration."""

    name: str
    driver: Literal["haproxy", "ipvs"]
    members: tuple[str, ...]
    haproxy: HaproxySettings | None = None
    ipvs: IpvsSettings | None = None

    def check_member(self, server: object) -> str:
        """Return ``server`` if it is a configured member; anything else is refused."""
        if not isinstance(server, str) or server not in self.members:
            raise TargetNotAllowedError(f"server {server!r} is not a member of pool {self.name}")
        if not _SAFE_NAME.match(server):
            raise TargetNotAllowedError(f"server name {server!r} contains unsafe characters")
        return server


def require_str(params: Params, key: str) -> str:
    """Fetch a required string parameter; a missing or non-string one is not allowed."""
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise TargetNotAllowedError(f"parameter {key!r} must be a non-empty string")
    return value


class UnknownTargetError(TargetNotAllowedError):
    """The configuration declares no pool or VIP of that name; the message says how to."""


def unknown_pool(name: object) -> UnknownTargetError:
    return UnknownTargetError(
        f"unknown pool {name!r}: declare it under [[lb_pools]] in the TOML file that "
        f"HUB_CONFIG names (name = {json.dumps(str(name))}, driver = \"haproxy\" or \"ipvs\", "
        "members = [\"web1\", \"web2\"], haproxy = {socket = \"/run/haproxy/admin.sock\", "
        "backend = \"web\"}), then restart the hub and plan the step again")


def lookup_pool(pools: Mapping[str, Pool], params: Params, driver: str) -> Pool:
    """Resolve ``params['pool']`` to a configured pool using the expected driver."""
    name = require_str(params, "pool")
    pool = pools.get(name)
    if pool is None:
        raise unknown_pool(name)
    if pool.driver != driver:
        raise TargetNotAllowedError(f"pool {name!r} uses driver {pool.driver}, not {driver}")
    return pool


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.2,
) -> None:
    """Poll ``predicate`` until true; raise OperationTimeoutError after ``timeout`` seconds.

    Polling (rather than events) is what all our outside systems offer: HAProxy stats,
    IPVS counters and keepalived callbacks recorded elsewhere.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise OperationTimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


class Operation(ABC):
    """One runbook action (``lb.drain``, ``vip.failover``...) behind a uniform interface."""

    action: ClassVar[str]

    @abstractmethod
    def plan(self, params: Params) -> Plan:
        """Read the current state and describe the change without making it."""

    @abstractmethod
    def apply(self, params: Params, plan: Plan) -> Outcome:
        """Make the change that ``plan`` described (re-checking the safety rules)."""

    @abstractmethod
    def verify(self, params: Params) -> Outcome:
        """Check the change took effect; raise VerifyError otherwise."""

    @abstractmethod
    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        """The action and params that undo this one, or None when it cannot be undone."""
