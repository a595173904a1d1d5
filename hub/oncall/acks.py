"""Acknowledging and ending pages from what people do elsewhere in the hub.

- A reply or comment on the ticket whose first line is ``ACK`` or ``ACK <code>``, by a
  staff user the page notified (mail replies arrive as ``TicketCorresponded`` /
  ``TicketCommented``; mail that was not authenticated as that user acks nothing).
- An SMS or XMPP message ``ACK <code>`` (``ChannelReplyReceived``): the code names
  the page; the sender must be a hub user (channels matched their contact) who is
  staff and may see the ticket. Anyone else's ACK changes nothing and is logged.
- A ticket leaving its active statuses (resolved, rejected, deleted) resolves its
  open pages.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from hub.accounts import queries as aq
from hub.channels.events import ChannelReplyReceived
from hub.domain import DomainError
from hub.eventstore import StoredEvent
from hub.oncall import commands as c
from hub.oncall import queries as q
from hub.oncall.model import RESOLVED, TRIGGERED
from hub.oncall.reactors import ONCALL, ticket_number
from hub.oncall.tables import pages
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
ACK_LINE = re.compile(r"^\s*ack(?:\s+#?(\d{4}))?\s*[.!]?\s*$", re.IGNORECASE)
ACK_MESSAGE = re.compile(r"^\s*ack\s*#?(\d{4})\b", re.IGNORECASE)


def ack_code(body: str) -> tuple[bool, str | None]:
    """``(is an ack, code or None)`` from the first non-empty line of a message."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    found = ACK_LINE.match(first)
    return (found is not None, found.group(1) if found else None)


def _open_pages(conn: sa.Connection, ticket_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(pages.c.data).where(
        pages.c.ticket_id == ticket_id, pages.c.state != RESOLVED).order_by(pages.c.id))
    return [dict(r.data) for r in rows]


class PageAcks:
    name = "oncall_page_acks"
    event_types: ClassVar[frozenset[str]] = frozenset({
        "TicketCorresponded", "TicketCommented", "TicketStatusChanged",
        ChannelReplyReceived.TYPE})

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        if event.type == ChannelReplyReceived.TYPE:
            self._reply(hub, event, ChannelReplyReceived.from_data(event.data))
        elif event.type == "TicketStatusChanged":
            self._status(hub, event)
        else:
            self._ticket_message(hub, event)

    @staticmethod
    def _ack(hub: Hub, event: StoredEvent, page_id: int, code: str | None, via: str,
             user: str, source: str) -> bool:
        with hub.engine.connect() as conn:
            actor = aq.actor_for_name(conn, user, source)
        if actor is None or not actor.is_staff:
            log.warning("ACK for page %s by %s over %s ignored: not a staff user",
                        page_id, user, via)
            return False
        try:
            hub.bus.handle(c.AcknowledgePage(page_id=page_id, code=code, via=via, at=event.at),
                           actor, idempotency_key=f"page-ack:{event.position}:{page_id}",
                           causation_id=str(event.position))
        except DomainError as exc:
            log.warning("ACK for page %s by %s over %s refused: %s", page_id, user, via,
                        exc.message)
            return False
        return True

    def _ticket_message(self, hub: Hub, event: StoredEvent) -> None:
        is_ack, code = ack_code(str(event.data.get("body", "")))
        if not is_ack or event.data.get("authenticated") is False:
            return
        user = str(event.meta.get("actor") or "")
        source = str(event.meta.get("source") or "")
        via = "mail" if source == "email" else source
        with hub.engine.connect() as conn:
            open_pages = _open_pages(conn, ticket_number(event))
        for page in open_pages:
            if page["state"] != TRIGGERED or (code is not None and page.get("code") != code):
                continue
            if not any(n["user"] == user for n in page["notified"]):
                log.warning("ACK on ticket %s by %s ignored: page %s did not notify them",
                            page["ticket_id"], user, page["id"])
                continue
            self._ack(hub, event, int(page["id"]), None, via, user, source)

    def _reply(self, hub: Hub, event: StoredEvent, reply: ChannelReplyReceived) -> None:
        found = ACK_MESSAGE.match(reply.text or "")
        if found is None:
            return
        code = found.group(1)
        if reply.user is None:
            log.warning("ACK %s by %s from %s ignored: the sender is no hub user", code,
                        reply.via, reply.sender)
            return
        with hub.engine.connect() as conn:
            page = q.open_page_by_code(conn, code)
        if page is None:
            log.warning("ACK %s by %s from %s (%s) names no open page", code, reply.via,
                        reply.sender, reply.user)
            return
        self._ack(hub, event, int(page["id"]), code, reply.via, reply.user, reply.via)

    @staticmethod
    def _status(hub: Hub, event: StoredEvent) -> None:
        ticket_id = ticket_number(event)
        new = str(event.data.get("new", ""))
        with hub.engine.connect() as conn:
            brief = tq.ticket_brief(conn, ticket_id)
            if brief is None or tq.lifecycle_of(conn, brief.queue).is_active(new):
                return
            open_pages = _open_pages(conn, ticket_id)
        for page in open_pages:
            hub.bus.handle(c.ResolvePage(page_id=int(page["id"]), reason=f"ticket {new}",
                                         at=event.at),
                           ONCALL, idempotency_key=f"page-resolve:{event.position}:{page['id']}",
                           causation_id=str(event.position))
