"""MailNotifier: a durable reactor that turns ticket events into outbox rows.

It runs after the commit (``hub.reactors``), so a template error or a full disk
never undoes the ticket change; it only queues mail (idempotent per event and
recipient), the sender thread delivers it. Who gets what follows RT's defaults:
autoreply to new requestors, correspondence to requestors and Cc, comments to
AdminCc and the owner, a notice on resolve; never the author, never ourselves,
never a robot, never an address that bounced permanently on this ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa

from hub.accounts.queries import user_by_name
from hub.bootstrap import Hub
from hub.db import WRITE
from hub.eventstore import StoredEvent
from hub.mail.commands import Outgoing, enqueue
from hub.mail.loops import is_robot_address
from hub.mail.messages import address_book, dedupe_key
from hub.mail.messages import plan as plan_message
from hub.mail.outbound import autoreply_permitted
from hub.mail.tables import mail_outbox
from hub.tickets import queries as tq

log = logging.getLogger(__name__)
AUTOREPLY_SOURCES = ("email", "web", "api")


@dataclass(frozen=True)
class Plan:
    kind: str
    recipients: tuple[str, ...]
    body: str = ""


def autoreply_limits(hub: Hub) -> tuple[int, dt.timedelta]:
    conf = hub.settings.extra.get("mail", {}) if isinstance(hub.settings.extra, dict) else {}
    limit = int(conf.get("autoreply_limit", 5))
    return limit, dt.timedelta(seconds=float(conf.get("autoreply_window", 3600)))


class MailNotifier:
    name = "mail-notifier"
    event_types: ClassVar[frozenset[str]] = frozenset(
        {"TicketCreated", "TicketCorresponded", "TicketCommented", "TicketStatusChanged"})

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("ticket-") and event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        with hub.engine.connect() as conn:
            messages = self._messages(hub, conn, event)
        if not messages:
            return
        limit, window = autoreply_limits(hub)
        with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            for out in messages:
                if out.kind == "autoreply":
                    if conn.execute(_EXISTS, {"key": out.dedupe_key}).first() is not None:
                        continue
                    if not autoreply_permitted(conn, out.recipient, event.at, limit, window):
                        log.info("autoreply to %s suppressed by the rate limit", out.recipient)
                        continue
                enqueue(conn, out)
        wakeup = hub.services.get("mail.outbox_wakeup")
        if wakeup is not None:
            wakeup.set()

    def _messages(self, hub: Hub, conn: sa.Connection, event: StoredEvent) -> list[Outgoing]:
        ticket_id = int(event.stream_id.split("-", 1)[1])
        ticket = tq.state_at(conn, hub.store, ticket_id, to_position=event.position)
        if ticket is None:
            return []
        stream = hub.store.read_stream(conn, event.stream_id, to_position=event.position)
        plan = self._plan(conn, event, ticket)
        if plan is None:
            return []
        bounced = {e.data["recipient"] for e in stream
                   if e.type == "TicketDeliveryFailed" and e.data.get("permanent")}
        author = _author_email(conn, event)
        book = address_book(hub)
        root = stream[0].data.get("message_id") if stream else None
        incoming = event.data.get("message_id")
        refs = [m for m in (root, incoming) if isinstance(m, str) and m]
        info = {key: ticket[key] for key in ("id", "subject", "queue", "status", "owner",
                                              "priority")}
        context: dict[str, Any] = {"actor": str(event.meta.get("actor", "")), "body": plan.body,
                   "requestor_name": None, "errors": []}
        out: list[Outgoing] = []
        for recipient in _unique(plan.recipients):
            is_author = recipient == author and plan.kind != "autoreply"
            if (is_author or recipient in bounced or book.is_ours(recipient)
                    or is_robot_address(recipient)):
                continue
            key = dedupe_key("ev", event.position, plan.kind, recipient)
            out.append(plan_message(hub, kind=plan.kind, key=key, ticket=info,
                                    recipient=recipient, position=event.position,
                                    context=context,
                                    in_reply_to=incoming if isinstance(incoming, str) else None,
                                    references=refs,
                                    auto_submitted="auto-replied" if plan.kind == "autoreply"
                                    else "auto-generated"))
        return out

    def _plan(self, conn: sa.Connection, event: StoredEvent,
              ticket: dict[str, Any]) -> Plan | None:
        data = event.data
        if data.get("autoreply") is False:  # inbound mail that must not be answered
            return None
        body = str(data.get("body", ""))
        watchers = {role: list(ticket["watchers"].get(role, []))
                    for role in ("requestors", "cc", "admincc")}
        if event.type == "TicketCreated":
            if event.meta.get("source") not in AUTOREPLY_SOURCES:
                return None
            return Plan("autoreply", tuple(watchers["requestors"]), body)
        if event.type == "TicketCorresponded":
            return Plan("correspondence", tuple(watchers["requestors"] + watchers["cc"]), body)
        if event.type == "TicketCommented":
            owner = _user_email(conn, ticket["owner"]) if ticket["owner"] else None
            people = list(watchers["admincc"]) + ([owner] if owner else [])
            return Plan("comment", tuple(people), body)
        if event.type == "TicketStatusChanged" and \
                data.get("new") == tq.lifecycle_of(conn, ticket["queue"]).resolved:
            return Plan("resolved", tuple(watchers["requestors"]))
        return None


_EXISTS = sa.select(mail_outbox.c.id).where(mail_outbox.c.dedupe_key == sa.bindparam("key"))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip().lower() for v in values if v and "@" in v))


def _user_email(conn: sa.Connection, name: str) -> str | None:
    user = user_by_name(conn, name)
    return None if user is None or user.disabled else user.email.lower()


def _author_email(conn: sa.Connection, event: StoredEvent) -> str | None:
    sender = event.data.get("from")
    if isinstance(sender, str) and sender:
        return sender.lower()
    actor = event.meta.get("actor")
    return _user_email(conn, str(actor)) if actor else None

