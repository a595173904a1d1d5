"""An admin's decisions about outgoing mail: release held mail, discard a message.

The outbox table is a delivery queue, not a read model, but letting a parked message go
(or dropping one) is a change someone made and may have to account for ("who sent the
200 held notifications?"), so each is an event on the message's ``outmail-<id>``
stream (the :class:`~hub.mail.model.OutgoingMail` aggregate checks the rules), recorded
in the same transaction that changes the row. Held mail goes only when released on
purpose: configuring a smarthost later sends nothing by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.config import Settings
from hub.domain import NotFoundError, StateConflictError, ValidationError
from hub.eventstore import utcnow
from hub.mail.commands import NO_SMARTHOST, DiscardOutgoingMail, ReleaseOutgoingMail
from hub.mail.model import RELEASABLE, OutgoingMail, need_outbox_admin
from hub.mail.tables import mail_outbox
from hub.messagebus import MessageBus, UnitOfWork

MAX_IDS = 1000


def _ids(values: Sequence[int]) -> list[int]:
    ids = sorted({int(v) for v in values})
    if len(ids) > MAX_IDS:
        raise ValidationError(f"at most {MAX_IDS} messages at once")
    return ids


def _rows(conn: sa.Connection, ids: list[int], kind: str | None) -> list[Any]:
    """The named rows, locked for this transaction; every id must exist."""
    query = sa.select(mail_outbox).where(mail_outbox.c.id.in_(ids)).order_by(mail_outbox.c.id)
    if kind:
        query = query.where(mail_outbox.c.kind == kind)
    rows = list(conn.execute(query.with_for_update()).all())
    missing = sorted(set(ids) - {int(r.id) for r in rows})
    if missing:
        raise NotFoundError(f"no outgoing message {', '.join(map(str, missing))}"
                            + (f" of kind {kind}" if kind else ""), missing=missing)
    return rows


def release_outgoing_mail(cmd: ReleaseOutgoingMail, uow: UnitOfWork, actor: Actor,
                          settings: Settings) -> dict[str, Any]:
    need_outbox_admin(actor)
    if bool(cmd.ids) == cmd.all_held:
        raise ValidationError("name the messages to release, or all held ones (not both)")
    if cmd.all_held:
        query = sa.select(mail_outbox).where(mail_outbox.c.state == "held")
        if cmd.kind:
            query = query.where(mail_outbox.c.kind == cmd.kind)
        rows = list(uow.conn.execute(query.order_by(mail_outbox.c.id).limit(MAX_IDS)
                                     .with_for_update()).all())
    else:
        rows = _rows(uow.conn, _ids(cmd.ids), cmd.kind)
    if rows and not settings.smarthost.strip():
        raise StateConflictError(f"{NO_SMARTHOST}: released mail could not be sent; "
                                 "configure HUB_SMARTHOST first")
    for row in rows:
        message = uow.get(OutgoingMail, int(row.id), must_exist=False)
        message.release(actor, row)
        uow.add(message)
    ids = [int(r.id) for r in rows]

    def requeue(conn: sa.Connection) -> None:
        if ids:
            conn.execute(sa.update(mail_outbox).where(
                mail_outbox.c.id.in_(ids), mail_outbox.c.state.in_(RELEASABLE)).values(
                state="queued", attempts=0, last_error=None, next_attempt_at=utcnow(),
                locked_until=None, locked_by=None))

    uow.write_with_commit(requeue)
    return {"released": ids}


def discard_outgoing_mail(cmd: DiscardOutgoingMail, uow: UnitOfWork,
                          actor: Actor) -> dict[str, Any]:
    need_outbox_admin(actor)
    if not cmd.ids:
        raise ValidationError("name the messages to discard")
    rows = _rows(uow.conn, _ids(cmd.ids), None)
    for row in rows:
        message = uow.get(OutgoingMail, int(row.id), must_exist=False)
        message.discard(actor, row, utcnow())
        uow.add(message)
    ids = [int(r.id) for r in rows]
    note = f"discarded by {actor.name}"

    def drop(conn: sa.Connection) -> None:
        for row in rows:
            conn.execute(sa.update(mail_outbox).where(mail_outbox.c.id == row.id).values(
                state="discarded", locked_until=None, locked_by=None,
                last_error=f"{note} ({row.last_error})"[:2000] if row.last_error else note))

    uow.write_with_commit(drop)
    return {"discarded": ids}


def register(bus: MessageBus, settings: Callable[[], Settings]) -> None:
    """``settings`` is asked at each release: the smarthost may be set after start-up."""

    def release(cmd: ReleaseOutgoingMail, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        return release_outgoing_mail(cmd, uow, actor, settings())

    bus.register(ReleaseOutgoingMail, release)
    bus.register(DiscardOutgoingMail, discard_outgoing_mail)
