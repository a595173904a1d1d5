"""Ticket value rules shared by the aggregate: priorities, addresses, due dates, links.

Kept apart from :mod:`hub.tickets.model` so the aggregate reads as RT's rules and
these small validators can be tested on their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.actors import Actor
from hub.domain import PermissionDeniedError, ValidationError

WATCHER_ROLES = ("requestors", "cc", "admincc")
LINK_KINDS = {  # kind -> reverse kind recorded on the other ticket
    "depends_on": "depended_on_by",
    "depended_on_by": "depends_on",
    "refers_to": "referred_to_by",
    "referred_to_by": "refers_to",
    "parents": "children",
    "children": "parents",
}
MAX_SUBJECT = 500
MAX_BODY = 1_000_000


def _need(actor: Actor, right: str, what: str) -> None:
    if not actor.can(right):
        raise PermissionDeniedError(f"{what} needs the right {right}", right=right)


def _clean_priority(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("priority is a whole number from 0 to 99")
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError("priority is a whole number from 0 to 99") from exc
    if not 0 <= number <= 99:
        raise ValidationError("priority is a whole number from 0 to 99")
    return number


def _clean_addresses(values: Any, what: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(f"{what} is a list of email addresses")
    out: list[str] = []
    for raw in values:
        address = raw.strip().lower()
        local, _, domain = address.partition("@")
        if not local or not domain or " " in address or len(address) > 254:
            raise ValidationError(f"{raw!r} is not an email address")
        if address not in out:
            out.append(address)
    return out


def _clean_due(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("due is an ISO 8601 date or time") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.isoformat()

