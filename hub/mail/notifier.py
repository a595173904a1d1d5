"""MailNotifier: a durable reactor that turns ticket events into outbox rows.

It runs after the commit (``hub.reactors``), so a template error or a full disk
never undoes the ticket change; it only queues mail (idempotent per event and
recipient), the sender thread delivers it. Who gets what follows RT's defaults:
autoreply to new requestors, correspondence to requestors and Cc, comments to
AdminCc and the owner, a notice on resolve; never the author, never ourselves,
never a robot, never an address that bounced permanently on this ticket.

The gateway must not become a relay: one event mails at most ``max_recipients``
people, a ticket sends at most ``ticket_mail_limit`` notifications per
``ticket_mail_window`` seconds (the rest are parked as ``held`` in the outbox, as is
all mail while no smarthost is configured), and
a message whose sender the hub could not verify goes out as
``"<address> via OpsHub"``, never under a user's name (``[mail]`` in the TOML config).
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
from hub.eventstore import StoredEvent, utcnow
from hub.mail.commands import Outgoing, enqueue
from hub.mail.loops import is_robot_address
from hub.mail.messages import address_book, dedupe_key
from hub.mail.messages import plan as plan_message
from hub.mail.outbound import autoreply_permitted
from hub.mail.tables import mail_outbox
from hub.reactors import Write
from hub.tickets import queries as tq

log = logging.getLogger(__name__)
AUTOREPLY_SOURCES = ("email", "web", "api")


@dataclass(frozen=True)
class Plan:
    kind: str
    recipients: tuple[str, ...]
    body: str = ""


def _conf(hub: Hub) -> dict[str, Any]:
    conf = hub.settings.extra.get("mail", {}) if isinstance(hub.settings.extra, dict) else {}
    return conf if isinstance(conf, dict) else {}


def autoreply_limits(hub: Hub) -> tuple[int, dt.timedelta]:
    conf = _conf(hub)
    limit = int(conf.get("autoreply_limit", 5))
    return limit, dt.timedelta(seconds=float(conf.get("autoreply_window", 3600)))


def ticket_mail_limits(hub: Hub) -> tuple[int, dt.timedelta, int]:
    """``(notifications per ticket, in this window, recipients per event)``."""
    conf = _conf(hub)
    return (int(conf.get("ticket_mail_limit", 30)),
            dt.timedelta(seconds=float(conf.get("ticket_mail_window", 3600))),
            int(conf.get("max_recipients", 50)))


RATE_LIMITED_KINDS = ("correspondence", "comment", "resolved")


class MailNotifier:
    name = "mail-notifier"
    event_types: ClassVar[frozenset[str]] = frozenset(
        {"TicketCreated", "TicketCorresponded", "TicketCommented", "TicketStatusChanged"})

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("ticket-") and event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> Write | None:
        """Plan the event's mail (reads only); the worker records it with the position."""
        with hub.engine.connect() as conn:
            messages = self._messages(hub, conn, event)
        if not messages:
            return None
        limit, window = autoreply_limits(hub)
        per_ticket, ticket_window, _ = ticket_mail_limits(hub)

        def record(conn: sa.Connection) -> None:
            for out in messages:
                if conn.execute(_EXISTS, {"key": out.dedupe_key}).first() is not None:
                    continue
                held = None
                if out.kind == "autoreply":
                    if not autoreply_permitted(conn, out.recipient, event.at, limit, window):
                        log.info("autoreply to %s suppressed by the rate limit", out.recipient)
                        continue
                elif out.kind in RATE_LIMITED_KINDS and conn.execute(_RECENT, {
                        "ticket": out.ticket_id, "since": utcnow() - ticket_window,
                }).scalar_one() >= per_ticket:
                    held = (f"rate limit: more than {per_ticket} notifications on ticket "
                            f"#{out.ticket_id} in {int(ticket_window.total_seconds())} s")
                    log.warning("notification to %s held: %s", out.recipient, held)
                enqueue(conn, out, settings=hub.settings, held=held)

        return record

    def committed(self, hub: Hub) -> None:
        """New rows are in the outbox: wake this process's sender, if it runs here."""
        wakeup = hub.services.get("mail.outbox_wakeup")
        if wakeup is not None:
            wakeup.set()

    def _messages(self, hub: Hub, conn: sa.Connection, event: StoredEvent) -> list[Outgoing]:
        # The ticket as it was at this event, from one read of its stream; a ticket's
        # first event needs none (the stream up to it is the event itself).
        stream = [event] if event.version == 1 else hub.store.read_stream(
            conn, event.stream_id, to_position=event.position)
        ticket = tq.state_of(stream)
        if ticket is None:
            return []
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
        if event.data.get("authenticated") is False:
            sender = str(event.data.get("from") or event.meta.get("actor", "") or "unknown")
            context.update(actor=sender, unverified=True, sender_label=f"{sender} via OpsHub")
        out: list[Outgoing] = []
        _, _, cap = ticket_mail_limits(hub)
        recipients = _unique(plan.recipients)
        if len(recipients) > cap:
            log.warning("event %s names %d recipients; mailing the first %d", event.position,
                        len(recipients), cap)
            recipients = recipients[:cap]
        for recipient in recipients:
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
            # Private comments go only to people who may read them (never to a customer
            # named AdminCc, or to an outsider), by the one rights evaluation.
            people = [p for p in people if tq.may_receive_comments(conn, ticket, p)]
            return Plan("comment", tuple(people), body)
        if event.type == "TicketStatusChanged" and \
                data.get("new") == tq.lifecycle_of(conn, ticket["queue"]).resolved:
            return Plan("resolved", tuple(watchers["requestors"]))
        return None


_EXISTS = sa.select(mail_outbox.c.id).where(mail_outbox.c.dedupe_key == sa.bindparam("key"))
_RECENT = sa.select(sa.func.count()).select_from(mail_outbox).where(
    mail_outbox.c.ticket_id == sa.bindparam("ticket"),
    mail_outbox.c.kind.in_(RATE_LIMITED_KINDS),
    mail_outbox.c.state != "held",
    mail_outbox.c.created_at > sa.bindparam("since"))


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

