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


@dataclass(frozen=True)
class AcknowledgeAlert:
    """Acknowledge the open Nagios problems of an alert ticket (API, web button, mail).

    Needs ModifyTicket on the ticket; the acknowledgement reaches Nagios after commit
    and counts as sent only once Nagios's status shows it.
    """

    ticket_id: int
    comment: str = ""
    reason: str = "acknowledge"  # acknowledge | take | comment
    author: str = ""  # who, when the system asks on a staff member's behalf
    problem_keys: tuple[str, ...] = ()  # only these (default: every open Nagios problem)


@dataclass(frozen=True)
class RecordAlertAckFailed:
    """The ack reactor could not get Nagios to confirm the acknowledgement (yet)."""

    object_key: str
    problem_key: str
    author: str
    ticket_id: int
    attempts: int
    error: str
    written: bool
    final: bool


@dataclass(frozen=True)
class ReviewVrrp:
    """The settle time of a suspected split brain is over: warn if it still holds."""

    object_key: str
