"""The ops feature's configuration, read from ``settings.extra`` and checked at start-up.

A typo in a routing rule or a backup period must stop ``hub serve`` with a message
naming the setting, not route every alert to General at 3 a.m.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.ops.alerts.flapping import FlapPolicy
from hub.ops.alerts.routing import RoutingRule, RoutingRuleError, load_rules


class OpsConfigError(ValueError):
    """A setting of the ops feature is malformed; the message names it."""


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
    command_file = nagios.get("command_file")
    if command_file is not None and (not isinstance(command_file, str) or not command_file):
        raise OpsConfigError("nagios.command_file must be a path")
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
    )
