"""A notification as an aggregate: queued once per cause, then delivered or failed.

Why an aggregate per delivery: the id is derived from ``(cause, recipient, channel)``,
so two nodes or a retried rule asking for the same notification meet on the same
stream, and the event store's ``UNIQUE(stream_id, version)`` lets only one of them
queue it. Attempts are numbered, so an outcome recorded twice is recorded once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from hub.actors import Actor
from hub.channels import events as ev
from hub.domain import Aggregate, PermissionDeniedError, ValidationError

#: Waits between attempts: 10 s, 30 s, 2 min, 10 min, then 30 min until the last one.
BACKOFF = (dt.timedelta(seconds=10), dt.timedelta(seconds=30), dt.timedelta(minutes=2),
           dt.timedelta(minutes=10), dt.timedelta(minutes=30))
MAX_ATTEMPTS = 8
MAX_TEXT = 8000


def delivery_id(cause: str, recipient: str, via: str) -> str:
    """Stable for a cause (one delivery per cause, recipient and channel), random without."""
    if not cause:
        return uuid.uuid4().hex[:24]
    return hashlib.sha256(f"{cause}\0{recipient}\0{via}".encode()).hexdigest()[:24]


def backoff(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def iso(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=None)


class Notification(Aggregate):
    stream_prefix = "notification"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.state = "new"
        self.attempts = 0
        self.info: dict[str, Any] = {}

    def queue(self, actor: Actor, **fields: Any) -> None:
        if not actor.is_staff:
            raise PermissionDeniedError("only staff and the hub itself send notifications")
        if len(fields["text"]) > MAX_TEXT or len(fields["subject"]) > 500:
            raise ValidationError(f"a notification's text has at most {MAX_TEXT} characters")
        self._record(ev.NotificationQueued(id=self.id, **fields))

    def no_contact(self, *, via: str, user: str | None, cause: str, ticket_id: int | None,
                   error: str) -> None:
        self._record(ev.NotificationFailed(id=self.id, via=via, user=user, cause=cause,
                                           error=error, final=True, ticket_id=ticket_id))

    def attempted(self, actor: Actor, attempt: int, *, ok: bool, error: str, final: bool,
                  retry_at: str | None) -> bool:
        """Record attempt ``attempt``'s outcome; False when it was recorded before or the
        delivery is already over (nothing to do)."""
        if not actor.is_system:
            raise PermissionDeniedError("delivery outcomes come from the sender")
        if self.state in ("delivered", "failed") or attempt <= self.attempts:
            return False
        common = {"id": self.id, "via": self.info["via"], "user": self.info.get("user"),
                  "cause": self.info["cause"]}
        if ok:
            self._record(ev.NotificationDelivered(
                **common, address=self.info["address"], ticket_id=self.info.get("ticket_id"),
                attempts=attempt))
        else:
            final = final or attempt >= MAX_ATTEMPTS
            self._record(ev.NotificationFailed(
                **common, error=error[:2000], final=final, attempts=attempt,
                retry_at=None if final else retry_at, ticket_id=self.info.get("ticket_id"),
                address=self.info["address"]))
        return True

    def _on_NotificationQueued(self, d: dict[str, Any]) -> None:
        self.state = "queued"
        self.info = dict(d)

    def _on_NotificationDelivered(self, d: dict[str, Any]) -> None:
        self.state = "delivered"
        self.attempts = int(d.get("attempts", self.attempts + 1))

    def _on_NotificationFailed(self, d: dict[str, Any]) -> None:
        self.attempts = int(d.get("attempts", self.attempts))
        if d["final"]:
            self.state = "failed"
