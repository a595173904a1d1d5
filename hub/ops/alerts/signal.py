"""The one shape every alert source is normalised into, and the error for unusable input.

Each source (Nagios, Alertmanager, PagerDuty-style events, keepalived, BackupPC)
speaks its own dialect; the alert aggregate and the routing rules should only ever
see :class:`AlertSignal`, so that "open a ticket", "recognise a retried delivery"
and "resolve when it recovers" are written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SOURCES = frozenset({"nagios", "alertmanager", "events", "keepalived", "backuppc"})

KINDS = frozenset(
    {
        "problem",
        "recovery",
        "acknowledgement",
        "downtime_start",
        "downtime_end",
        "flapping_start",
        "flapping_stop",
        "info",
        "state_change",
        "custom",
    }
)

# Ordered from most to least urgent; routing derives a default priority from it.
SEVERITIES = ("critical", "warning", "unknown", "info", "ok")


class AlertPayloadError(ValueError):
    """The input cannot be turned into a signal; the message says which field and why.

    Entrypoints answer it with 400 (HTTP) so the sender sees its own mistake
    instead of a silently dropped alert.
    """

    def __init__(self, message: str, *, field_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_name = field_name


@dataclass(frozen=True)
class AlertSignal:
    """One notification from one source, in source-neutral terms.

    ``problem_key`` names one problem (a PROBLEM and its RECOVERY share it),
    ``object_key`` names the monitored thing across problems (flapping, routing),
    and ``delivery_id`` names one delivery (a retried identical POST repeats it),
    which makes it the natural idempotency key.
    """

    source: str
    kind: str
    problem_key: str
    object_key: str
    delivery_id: str
    host: str
    service: str | None
    title: str
    severity: str
    state: str
    output: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    parent_hosts: tuple[str, ...] = ()
    perfdata: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked here so a parser bug cannot leak an unknown kind into the event store.
        if self.source not in SOURCES:
            raise AlertPayloadError(f"unknown alert source {self.source!r}")
        if self.kind not in KINDS:
            raise AlertPayloadError(f"unknown alert kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise AlertPayloadError(f"unknown severity {self.severity!r}")
        if not self.problem_key or not self.delivery_id:
            raise AlertPayloadError("problem_key and delivery_id must not be empty")
        if self.occurred_at is not None and self.occurred_at.utcoffset() is None:
            raise AlertPayloadError("occurred_at must be timezone-aware")

    @property
    def is_problem(self) -> bool:
        return self.kind == "problem"

    @property
    def is_recovery(self) -> bool:
        return self.kind == "recovery"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, e.g. for the data of an ``AlertReceived`` event."""
        return {
            "source": self.source,
            "kind": self.kind,
            "problem_key": self.problem_key,
            "object_key": self.object_key,
            "delivery_id": self.delivery_id,
            "host": self.host,
            "service": self.service,
            "title": self.title,
            "severity": self.severity,
            "state": self.state,
            "output": self.output,
            "details": self.details,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "labels": dict(self.labels),
            "parent_hosts": list(self.parent_hosts),
            "perfdata": dict(self.perfdata),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertSignal:
        """Inverse of :meth:`to_dict`, so stored events rebuild the same signal."""
        occurred = data.get("occurred_at")
        return cls(
            source=data["source"],
            kind=data["kind"],
            problem_key=data["problem_key"],
            object_key=data["object_key"],
            delivery_id=data["delivery_id"],
            host=data["host"],
            service=data.get("service"),
            title=data["title"],
            severity=data["severity"],
            state=data["state"],
            output=data.get("output", ""),
            details=dict(data.get("details") or {}),
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            labels=dict(data.get("labels") or {}),
            parent_hosts=tuple(data.get("parent_hosts") or ()),
            perfdata=dict(data.get("perfdata") or {}),
        )
