"""The ops feature's facts: what happened to a monitored object's alert stream.

Why typed: projections (``alerts``), the metrics reactors and other features
(runbooks reacts to :class:`AlertRunbookRouted`) read these payloads by key;
declaring each key once here keeps the stored JSON stable. The field names are
the JSON keys stored in existing databases; fields without a default are always
written, even when ``None`` (the appliers read them as ``d["ticket_id"]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class AlertReceived(Event):
    """One signal was correlated with the object's alert; ``action`` is the outcome.

    ``signal`` is :meth:`hub.ops.alerts.signal.AlertSignal.to_dict`, ``at`` the
    sender's time (ISO, naive UTC); ``episode_key`` is None for a signal that
    belongs to no episode (an ignored recovery).
    """

    signal: dict[str, Any]
    at: str
    action: str
    ticket_id: int | None
    episode_key: str | None
    new_episode: bool
    episode_state: str
    change: bool
    parent_ticket_id: int | None
    flags: dict[str, bool]
    flapping: bool


@event
@dataclass(frozen=True)
class AlertFlappingStarted(Event):
    """The object changed state too often: further changes go on the alert only."""

    object_key: str
    at: str
    ticket_id: int | None
    changes: int


@event
@dataclass(frozen=True)
class AlertFlappingStopped(Event):
    """The object calmed down (a signal said so, or the scheduler saw it quiet)."""

    object_key: str
    at: str
    ticket_id: int | None
    changes: int


@event
@dataclass(frozen=True)
class AlertAckSent(Event):
    """ACKNOWLEDGE_*_PROBLEM for this episode was written to Nagios' command file."""

    object_key: str
    problem_key: str
    episode: int
    author: str
    ticket_id: int


@event
@dataclass(frozen=True)
class AlertRunbookRouted(Event):
    """The routing rule of a newly opened alert ticket names a runbook to suggest.

    Ops only states the fact; the runbooks feature (above ops) reacts to it and
    records the suggestion on the ticket, or a note when the name is unusable.
    """

    object_key: str
    problem_key: str
    ticket_id: int
    runbook: str
    params: dict[str, Any]
    title: str


@event
@dataclass(frozen=True)
class AlertEscalationRouted(Event):
    """The routing rule of a newly opened alert ticket names an escalation policy.

    Ops only states the fact; the on-call feature (above ops) reacts to it and pages.
    """

    object_key: str
    problem_key: str
    ticket_id: int
    policy: str
    title: str


@event
@dataclass(frozen=True)
class AlertAckRequested(Event):
    """Someone acknowledged the alert in the hub (Acknowledge, or a take/comment that
    the route says acknowledges): the ack reactor takes it to Nagios and confirms it."""

    object_key: str
    problem_key: str
    episode: int
    author: str
    ticket_id: int
    comment: str
    reason: str  # acknowledge | take | comment


@event
@dataclass(frozen=True)
class AlertAckFailed(Event):
    """Nagios did not confirm the acknowledgement: ``written`` says whether the command
    reached its FIFO at all; ``final`` that the retries gave up (else: still trying)."""

    object_key: str
    problem_key: str
    episode: int
    author: str
    ticket_id: int
    attempts: int
    error: str
    written: bool
    final: bool


@event
@dataclass(frozen=True)
class AlertSplitBrain(Event):
    """Two or more VRRP nodes still said MASTER after the settle time: warned."""

    object_key: str
    problem_key: str
    ticket_id: int
    masters: list[str]
