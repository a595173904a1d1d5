"""Ops commands: what an alert source, the ack reactor or the scheduler asks for."""

from __future__ import annotations

from dataclasses import dataclass

from hub.ops.alerts.signal import AlertSignal


@dataclass(frozen=True)
class ReceiveAlert:
    """One normalised notification. ``request_id`` lets the caller tell its own first
    handling from a replayed idempotent result (answered ``duplicate``)."""

    signal: AlertSignal
    request_id: str = ""


@dataclass(frozen=True)
class RecordAlertAck:
    """The ack reactor wrote ACKNOWLEDGE_*_PROBLEM for this problem to Nagios."""

    object_key: str
    problem_key: str
    author: str
    ticket_id: int


@dataclass(frozen=True)
class ReviewFlapping:
    """Re-check a flapping object that went quiet (the scheduler asks)."""

    object_key: str
