"""Where an alert's ticket goes: queue, priority, owner, the runbook to suggest and
the escalation policy that pages someone about it.

Rules are data (a list of tables in the TOML config), checked once at load time so
that a typo in the config fails at start-up with a message naming the rule, instead
of silently routing every alert to the default queue at 3 a.m.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from hub.ops.alerts.signal import SEVERITIES, SOURCES, AlertSignal

DEFAULT_PRIORITY = {"critical": 80, "warning": 50, "unknown": 40, "info": 20, "ok": 20}

_RULE_KEYS = frozenset(
    {
        "name",
        "source",
        "host",
        "service",
        "labels",
        "severity",
        "queue",
        "priority",
        "owner",
        "runbook",
        "runbook_params",
        "on_recovery",
        "ack_on_take",
        "ack_on_comment",
        "escalation_policy",
    }
)
ON_RECOVERY = ("resolve", "comment")


class RoutingRuleError(ValueError):
    """A routing rule in the configuration is malformed; the message names the rule."""


@dataclass(frozen=True)
class Route:
    queue: str
    priority: int
    owner: str | None = None
    runbook: str | None = None
    runbook_params: dict[str, Any] = field(default_factory=dict)
    on_recovery: str = "resolve"  # resolve the ticket, or only comment that it recovered
    # Whether staff taking the ticket, or commenting/replying on it, also acknowledges
    # the Nagios problem (as the hub always did on take; never on a private comment).
    ack_on_take: bool = True
    ack_on_comment: bool = False
    escalation_policy: str | None = None  # the on-call policy that pages about a new ticket


@dataclass(frozen=True)
class RoutingRule:
    """Every condition given must hold; a condition left out matches anything.

    Host and service are case-insensitive shell globs (host names are); a rule with a
    service pattern never matches a host alert, which has no service.
    """

    name: str = ""
    source: str | None = None
    host: str | None = None
    service: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    severities: tuple[str, ...] = ()
    queue: str | None = None
    priority: int | None = None
    owner: str | None = None
    runbook: str | None = None
    runbook_params: dict[str, Any] = field(default_factory=dict)
    on_recovery: str = "resolve"
    ack_on_take: bool = True
    ack_on_comment: bool = False
    escalation_policy: str | None = None

    def matches(self, signal: AlertSignal) -> bool:
        if self.source is not None and signal.source != self.source:
            return False
        if self.host is not None and not _glob(signal.host, self.host):
            return False
        if self.service is not None and (
            signal.service is None or not _glob(signal.service, self.service)
        ):
            return False
        if self.severities and signal.severity not in self.severities:
            return False
        return all(signal.labels.get(k) == v for k, v in self.labels.items())


def _glob(value: str, pattern: str) -> bool:
    return fnmatchcase(value.lower(), pattern.lower())


def default_priority(severity: str) -> int:
    return DEFAULT_PRIORITY.get(severity, DEFAULT_PRIORITY["unknown"])


def route(
    signal: AlertSignal, rules: Iterable[RoutingRule], default_queue: str = "General"
) -> Route:
    """The first matching rule wins; what it leaves unset falls back to the defaults."""
    for rule in rules:
        if rule.matches(signal):
            return Route(
                queue=rule.queue or default_queue,
                priority=rule.priority
                if rule.priority is not None
                else default_priority(signal.severity),
                owner=rule.owner,
                runbook=rule.runbook,
                runbook_params=dict(rule.runbook_params),
                on_recovery=rule.on_recovery,
                ack_on_take=rule.ack_on_take,
                ack_on_comment=rule.ack_on_comment,
                escalation_policy=rule.escalation_policy,
            )
    return Route(queue=default_queue, priority=default_priority(signal.severity))


def load_rules(items: Sequence[Mapping[str, Any]]) -> list[RoutingRule]:
    """Rules from config dicts, e.g. ``[[alerts.routes]]`` tables, in order."""
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise RoutingRuleError("routing rules must be a list of tables")
    return [rule_from_dict(item, index) for index, item in enumerate(items)]


def rule_from_dict(item: Mapping[str, Any], index: int = 0) -> RoutingRule:
    if not isinstance(item, Mapping):
        raise RoutingRuleError(f"routing rule #{index} must be a table, got {type(item).__name__}")
    name = str(item.get("name") or f"#{index}")
    where = f"routing rule {name}"
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise RoutingRuleError(f"{where}: unknown keys {unknown}; allowed: {sorted(_RULE_KEYS)}")
    source = _opt_text(item, "source", where)
    if source is not None and source not in SOURCES:
        raise RoutingRuleError(f"{where}: source must be one of {sorted(SOURCES)}, got {source!r}")
    return RoutingRule(
        name=name,
        source=source,
        host=_opt_text(item, "host", where),
        service=_opt_text(item, "service", where),
        labels=_labels(item.get("labels"), where),
        severities=_severities(item.get("severity"), where),
        queue=_opt_text(item, "queue", where),
        priority=_priority(item.get("priority"), where),
        owner=_opt_text(item, "owner", where),
        runbook=_opt_text(item, "runbook", where),
        runbook_params=_params(item.get("runbook_params"), where),
        on_recovery=_on_recovery(item.get("on_recovery"), where),
        ack_on_take=_flag(item, "ack_on_take", True, where),
        ack_on_comment=_flag(item, "ack_on_comment", False, where),
        escalation_policy=_opt_text(item, "escalation_policy", where),
    )


def _flag(item: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise RoutingRuleError(f"{where}: {key} must be true or false, got {value!r}")
    return value


def _on_recovery(value: object, where: str) -> str:
    if value is None:
        return "resolve"
    if value not in ON_RECOVERY:
        raise RoutingRuleError(f"{where}: on_recovery must be one of {list(ON_RECOVERY)}")
    return str(value)


def _opt_text(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RoutingRuleError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value.strip()


def _labels(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise RoutingRuleError(f"{where}: labels must be a table of strings")
    return dict(value)


def _severities(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise RoutingRuleError(f"{where}: severity must be a string or a non-empty list")
    bad = [s for s in items if s not in SEVERITIES]
    if bad:
        raise RoutingRuleError(f"{where}: unknown severity {bad}; allowed: {list(SEVERITIES)}")
    return tuple(items)


def _priority(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
        raise RoutingRuleError(f"{where}: priority must be an integer 0-99, got {value!r}")
    return value


def _params(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise RoutingRuleError(f"{where}: runbook_params must be a table")
    return dict(value)
