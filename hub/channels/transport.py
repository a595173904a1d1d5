"""What a channel's transport is, and how it says what happened.

A transport hands one queued delivery to the outside world and returns only when the
receiver accepted it; otherwise it raises :class:`DeliveryError` (``permanent`` when
trying again cannot help, e.g. HTTP 404 or a malformed address) or, for a channel
with an intermediary of its own (mail goes through the mail outbox), :class:`Pending`:
handed on, outcome not known yet, ask again later without counting an attempt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Pending(Exception):
    """Not an error: a state the sender waits in."""

    def __init__(self, message: str, check_again: dt.timedelta) -> None:
        super().__init__(message)
        self.check_again = check_again


@dataclass(frozen=True)
class Delivery:
    """One row of the delivery queue, as the transports see it."""

    id: str
    via: str
    user: str | None
    address: str
    subject: str
    text: str
    ticket_id: int | None
    urgent: bool
    cause: str
    payload: dict[str, Any] | None
    webhook_format: str
    attempts: int

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        return cls(id=row.id, via=row.via, user=row.username, address=row.address,
                   subject=row.subject, text=row.text, ticket_id=row.ticket_id,
                   urgent=bool(row.urgent), cause=row.cause, payload=row.payload,
                   webhook_format=row.webhook_format, attempts=int(row.attempts))


class Transport(Protocol):
    def send(self, delivery: Delivery) -> str:
        """Deliver; return a short note of what the receiver answered."""
        ...
