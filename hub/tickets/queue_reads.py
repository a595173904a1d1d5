"""Queue reads: names, addresses, lifecycles and field specs from the ``queues`` table.

Mail routes by queue addresses, the desk lists queues and every feature that
asks "is this status active" needs a queue's lifecycle: they all read it here,
through :mod:`hub.tickets.queries`, instead of re-parsing the raw JSON spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.domain import ValidationError
from hub.tickets.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from hub.tickets.tables import queues

_QUEUE_SPEC = sa.select(queues.c.spec).where(queues.c.key == sa.bindparam("key"))


def internal_fields(conn: sa.Connection, queue: str) -> frozenset[str]:
    """Names of ``queue``'s internal custom fields (hidden from customers)."""
    spec = conn.execute(_QUEUE_SPEC, {"key": queue.lower()}).scalar()
    if not spec:
        return frozenset()
    return frozenset(f["name"] for f in spec.get("custom_fields", []) if f.get("internal"))


@dataclass(frozen=True)
class QueueInfo:
    """A queue as the read model holds it: addresses for mail, settings for pages."""

    key: str
    name: str
    address: str
    comment_address: str
    disabled: bool
    spec: dict[str, Any]

    @property
    def lifecycle(self) -> Lifecycle:
        return _lifecycle_from(self.spec)


def _lifecycle_from(spec: Mapping[str, Any] | None) -> Lifecycle:
    """A queue's lifecycle; the default when the spec has none or an invalid one."""
    raw = (spec or {}).get("lifecycle")
    if not raw:
        return DEFAULT_LIFECYCLE
    try:
        return Lifecycle.from_dict(raw)
    except (ValidationError, AttributeError):
        return DEFAULT_LIFECYCLE


def _queue_info(row: Any) -> QueueInfo:
    return QueueInfo(key=row.key, name=row.name, address=(row.address or "").lower(),
                     comment_address=(row.comment_address or "").lower(),
                     disabled=bool(row.disabled), spec=dict(row.spec or {}))


def list_queues(conn: sa.Connection, *, include_disabled: bool = False) -> list[QueueInfo]:
    """Queues ordered by name (enabled ones only unless asked)."""
    query = sa.select(queues).order_by(queues.c.name)
    if not include_disabled:
        query = query.where(queues.c.disabled.is_(False))
    return [_queue_info(r) for r in conn.execute(query)]


def queue_names(conn: sa.Connection) -> list[str]:
    """Names of the enabled queues, ordered."""
    return [q.name for q in list_queues(conn)]


def find_queue(conn: sa.Connection, name: str) -> QueueInfo | None:
    """The queue called ``name`` (any case), disabled or not; ``None`` if none."""
    row = conn.execute(sa.select(queues).where(queues.c.key == name.strip().lower())).first()
    return None if row is None else _queue_info(row)


def queue_for_address(conn: sa.Connection, address: str) -> tuple[QueueInfo, str] | None:
    """The enabled queue whose correspond or comment address this is, with the action
    (``"correspond"`` or ``"comment"``)."""
    addr = address.strip().strip("<>").lower()
    for info in list_queues(conn):
        if info.address and info.address == addr:
            return info, "correspond"
        if info.comment_address and info.comment_address == addr:
            return info, "comment"
    return None


def lifecycle_of(conn: sa.Connection, queue: str) -> Lifecycle:
    """The lifecycle of ``queue``; the default one for an unknown queue."""
    return _lifecycle_from(conn.execute(_QUEUE_SPEC, {"key": queue.lower()}).scalar())
