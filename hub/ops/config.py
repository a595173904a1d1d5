"""The ops feature's configuration, read from ``settings.extra`` and checked at start-up.

A typo in a routing rule or a backup period must stop ``hub serve`` with a message
naming the setting, not route every alert to General at 3 a.m.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.config import ConfigError
from hub.ops.alerts.flapping import FlapPolicy
from hub.ops.alerts.routing import RoutingRule, RoutingRuleError, load_rules
from hub.ops.nagios_status import NagiosFiles


class OpsConfigError(ConfigError):
    """A setting of the ops feature is malformed; the message names it."""


@dataclass(frozen=True)
class NagiosAckPolicy:
    """How acknowledgements reach Nagios and how long the hub keeps trying.

    Defaults: first retry after 30 s, doubling up to 30 min, for 12 h; a written
    command has ``confirm_seconds`` to show up in ``status.dat`` (Nagios rewrites it
    every ``status_update_interval``, 10 s by default).
    """

    files: NagiosFiles = field(default_factory=NagiosFiles)
    retry_seconds: float = 30.0
    retry_max_seconds: float = 1800.0
    give_up_hours: float = 12.0
    confirm_seconds: float = 30.0

    def delay(self, attempts: int) -> float:
        """Seconds before attempt ``attempts + 1``."""
        grown: float = self.retry_seconds * 2.0 ** max(attempts - 1, 0)
        return min(grown, self.retry_max_seconds)


@dataclass(frozen=True)
class OpsConfig:
    rules: tuple[RoutingRule, ...] = ()
    default_queue: str = "General"
    flap: FlapPolicy = field(default_factory=FlapPolicy)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    command_file: str | None = None
    backup_default: dt.timedelta = dt.timedelta(hours=26)
    backup_periods: dict[str, dt.timedelta] = field(default_factory=dict)
    backup_check_minutes: int = 30
    nagios: NagiosAckPolicy = field(default_factory=NagiosAckPolicy)
    vrrp_settle_seconds: float = 3.0


def _table(extra: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = extra.get(key) or {}
    if not isinstance(value, Mapping):
        raise OpsConfigError(f"setting {key!r} must be a table")
    return value


def _number(table: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise OpsConfigError(f"{where}.{key} must be a positive number, got {value!r}")
    return float(value)


def load_ops_config(extra: Mapping[str, Any]) -> OpsConfig:
    """Build and validate; raises :class:`OpsConfigError` on the first bad setting."""
    raw_rules = extra.get("alert_routes")
    if raw_rules is None:
        raw_rules = _table(extra, "alerts").get("routes", [])
    try:
        rules = tuple(load_rules(raw_rules))
    except RoutingRuleError as exc:
        raise OpsConfigError(str(exc)) from exc
    flap_cfg = _table(extra, "alert_flapping")
    try:
        flap = FlapPolicy(
            window=dt.timedelta(minutes=_number(flap_cfg, "window_minutes", 60,
                                                "alert_flapping")),
            start_changes=int(_number(flap_cfg, "start_changes", 6, "alert_flapping")),
            stop_changes=int(_number(flap_cfg, "stop_changes", 3, "alert_flapping")),
        )
    except ValueError as exc:
        raise OpsConfigError(f"alert_flapping: {exc}") from exc
    parents: dict[str, tuple[str, ...]] = {}
    for host, value in _table(extra, "alert_parents").items():
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise OpsConfigError(f"alert_parents.{host} must be a host name or a list of them")
        parents[str(host)] = tuple(items)
    nagios = _table(extra, "nagios")
    command_file = _path(nagios, "command_file")
    backup = _table(extra, "backuppc")
    periods: dict[str, dt.timedelta] = {}
    for host, hours in _table(backup, "periods_hours").items():
        periods[str(host)] = dt.timedelta(
            hours=_number({"h": hours}, "h", 1, f"backuppc.periods_hours.{host}"))
    return OpsConfig(
        rules=rules,
        default_queue=str(extra.get("alert_default_queue", "General")),
        flap=flap,
        parents=parents,
        command_file=command_file,
        backup_default=dt.timedelta(
            hours=_number(backup, "default_period_hours", 26, "backuppc")),
        backup_periods=periods,
        backup_check_minutes=int(_number(backup, "check_interval_minutes", 30, "backuppc")),
        nagios=_nagios_policy(nagios),
        vrrp_settle_seconds=_number(_table(extra, "keepalived"), "settle_seconds", 3,
                                    "keepalived"),
    )


def _path(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise OpsConfigError(f"nagios.{key} must be a path")
    return value


def _nagios_policy(nagios: Mapping[str, Any]) -> NagiosAckPolicy:
    aliases = _table(nagios, "host_aliases")
    if not all(isinstance(v, str) and v for v in aliases.values()):
        raise OpsConfigError("nagios.host_aliases maps an alias to a host name (strings)")
    files = NagiosFiles(status_file=_path(nagios, "status_file"),
                        object_cache_file=_path(nagios, "object_cache_file"),
                        host_aliases={str(k): str(v) for k, v in aliases.items()})
    return NagiosAckPolicy(
        files=files,
        retry_seconds=_number(nagios, "ack_retry_seconds", 30, "nagios"),
        retry_max_seconds=_number(nagios, "ack_retry_max_seconds", 1800, "nagios"),
        give_up_hours=_number(nagios, "ack_give_up_hours", 12, "nagios"),
        confirm_seconds=_number(nagios, "ack_confirm_seconds", 30, "nagios"),
    )
