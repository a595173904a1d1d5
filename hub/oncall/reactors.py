"""Reactions that start pages and carry them to people.

:class:`PageStarter`: a new ticket in a queue that names an escalation policy, or an
alert ticket whose route names one (ops states it as ``AlertEscalationRouted``),
triggers a page. For an alert ticket the route's policy wins over the queue's.

:class:`PageNotifier`: each step of a page (its trigger, each escalation) notifies
the step's targets on each channel through the channels feature; a ``PageNotified``
is recorded only for a notification channels queued.

:class:`PageMirror`: every page event is put on the ticket's own history (what became
of each notification is :mod:`hub.oncall.deliveries`' part).

All three are durable reactors and send commands with idempotency keys naming their
cause (page, step, round, user, channel), so a retry, a restart or a second node
notifies nobody twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from hub.actors import system_actor
from hub.channels import commands as chc
from hub.domain import DomainError
from hub.eventstore import StoredEvent
from hub.oncall import commands as c
from hub.oncall import queries as q
from hub.oncall.model import parse_iso
from hub.ops.events import AlertEscalationRouted
from hub.tickets import commands as tc
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
ONCALL = system_actor("system", "oncall")
NOTIFIED_STATES = frozenset({"queued", "held_quiet"})


def ticket_number(event: StoredEvent) -> int:
    return int(event.stream_id.split("-", 1)[1])


class PageStarter:
    name = "oncall_page_starter"
    event_types: ClassVar[frozenset[str]] = frozenset({"TicketCreated",
                                                       AlertEscalationRouted.TYPE})

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        if event.type == AlertEscalationRouted.TYPE:
            routed = AlertEscalationRouted.from_data(event.data)
            self._trigger(hub, event, routed.ticket_id, routed.policy,
                          f"alert route: {routed.title}")
            return
        ticket_id = ticket_number(event)
        queue = str(event.data.get("queue", ""))
        with hub.engine.connect() as conn:
            policy = tq.escalation_policy_of(conn, queue)
            if not policy or (event.data.get("alert") and self._routed(hub, conn, event)):
                return
        self._trigger(hub, event, ticket_id, policy, f"new ticket in queue {queue}")

    @staticmethod
    def _routed(hub: Hub, conn: sa.Connection, event: StoredEvent) -> bool:
        """Whether the alert that opened this ticket names a policy of its own (recorded in
        the same transaction, so among the next few events)."""
        ticket_id = ticket_number(event)
        return any(e.type == AlertEscalationRouted.TYPE and e.data.get("ticket_id") == ticket_id
                   for e in hub.store.read_all(conn, event.position, 50))

    @staticmethod
    def _trigger(hub: Hub, event: StoredEvent, ticket_id: int, policy: str,
                 reason: str) -> None:
        try:
            hub.bus.handle(c.TriggerPage(ticket_id=ticket_id, policy=policy, reason=reason,
                                         at=event.at),
                           ONCALL, idempotency_key=f"page-trigger:{ticket_id}:{policy}:"
                                                   f"{event.position}",
                           correlation_id=event.meta.get("correlation_id"),
                           causation_id=str(event.position))
        except DomainError as exc:  # e.g. the named policy does not exist: say so on it
            log.warning("ticket %s: could not page with policy %s: %s", ticket_id, policy,
                        exc.message)
            hub.bus.handle(tc.RecordTicketActivity(
                ticket_id=ticket_id, kind="page.failed",
                summary=f"Could not page with escalation policy {policy}: {exc.message}",
                detail={"policy": policy}), ONCALL,
                idempotency_key=f"page-trigger-failed:{ticket_id}:{event.position}")


def page_text(hub: Hub, page: dict[str, Any], subject: str) -> tuple[str, str]:
    """The subject and short text of a page's notification: ticket, link, ack code."""
    tag = hub.settings.ticket_tag
    link = f"{hub.settings.public_url}/tickets/{page['ticket_id']}"
    head = f"[{tag} #{page['ticket_id']}] PAGE: {subject}"[:200]
    text = (f"#{page['ticket_id']} {subject}\n{link}\n"
            f"Page {page['id']}, step {page['step']}: reply ACK {page['code']}")
    return head, text


class PageNotifier:
    name = "oncall_page_notifier"
    event_types: ClassVar[frozenset[str]] = frozenset({"PageTriggered", "PageEscalated"})

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        page_id = int(event.stream_id.split("-", 1)[1])
        step = int(event.data.get("step", 1))
        round_ = int(event.data.get("round", 0))
        when = parse_iso(str(event.data["at"]))  # the page's own time: who was on call then
        with hub.engine.connect() as conn:
            page = q.page(conn, ONCALL, page_id)
            if page["state"] != "triggered":
                return  # acknowledged or resolved since: nobody is woken any more
            brief = tq.ticket_brief(conn, page["ticket_id"])
            stored = hub.store.read_stream(conn, event.stream_id)
            steps = stored[0].data["steps"]
            spec = steps[step - 1]
            targets = spec["notify"] if isinstance(spec["notify"], list) else [spec["notify"]]
            users = list(dict.fromkeys(u for t in targets
                                       for u in q.resolve_target(conn, t, when)))
        subject, text = page_text(hub, {**page, "step": step}, brief.subject if brief else "")
        cause = f"page:{page_id}:step:{step}:round:{round_}"
        reached = 0
        for user in users:
            for via in spec["via"]:
                reached += self._notify(hub, event, page_id, cause, user, via, subject, text,
                                        step, round_, page["ticket_id"])
        if not reached:
            hub.bus.handle(tc.RecordTicketActivity(
                ticket_id=page["ticket_id"], kind="page.unreachable",
                summary=f"Page {page_id} step {step}: nobody could be notified "
                        f"({', '.join(targets)})",
                detail={"page_id": page_id, "step": step, "round": round_, "targets": targets,
                        "users": users}), ONCALL, idempotency_key=f"{cause}:unreachable")

    @staticmethod
    def _notify(hub: Hub, event: StoredEvent, page_id: int, cause: str, user: str, via: str,
                subject: str, text: str, step: int, round_: int, ticket_id: int) -> int:
        key = f"{cause}:{user}:{via}"
        result = hub.bus.handle(chc.Notify(via=via, subject=subject, text=text, user=user,
                                           ticket_id=ticket_id, urgent=True, cause=cause,
                                           payload={"page_id": page_id, "step": step}),
                                ONCALL, idempotency_key=f"notify:{key}",
                                causation_id=str(event.position))
        state = str((result or {}).get("state", ""))
        if state not in NOTIFIED_STATES:
            log.info("page %s: %s not notified by %s (%s)", page_id, user, via, state)
            return 0
        hub.bus.handle(c.RecordPageNotified(page_id=page_id, user=user, via=via, step=step,
                                            round=round_, notification=str(result.get("id"))),
                       ONCALL, idempotency_key=f"notified:{key}")
        return 1


MIRRORED = {
    "PageTriggered": "page.triggered", "PageNotified": "page.notified",
    "PageEscalated": "page.escalated", "PageExhausted": "page.exhausted",
    "PageAcknowledged": "page.acknowledged", "PageResolved": "page.resolved",
}


def _summary(page_id: int, event: StoredEvent) -> str:
    d = event.data
    if event.type == "PageTriggered":
        return f"Page {page_id} triggered ({d['policy']}): {d['reason']}".rstrip(": ")
    if event.type == "PageNotified":
        return (f"Page {page_id}: notification to {d['user']} by {d['via']} queued "
                f"(step {d['step']})")
    if event.type == "PageEscalated":
        return f"Page {page_id} escalated to step {d['step']} (round {d['round'] + 1})"
    if event.type == "PageExhausted":
        return f"Page {page_id}: every step went unacknowledged; it stays triggered"
    if event.type == "PageAcknowledged":
        return f"Page {page_id} acknowledged by {d['by']} ({d['via']})"
    return f"Page {page_id} resolved" + (f": {d['reason']}" if d.get("reason") else "")


class PageMirror:
    name = "oncall_page_mirror"
    event_types: ClassVar[frozenset[str]] = frozenset(MIRRORED)

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        page_id = int(event.stream_id.split("-", 1)[1])
        with hub.engine.connect() as conn:
            ticket_id = int(q.page(conn, ONCALL, page_id)["ticket_id"])
        detail = {k: v for k, v in event.data.items() if k not in ("steps", "code")}
        hub.bus.handle(tc.RecordTicketActivity(
            ticket_id=ticket_id, kind=MIRRORED[event.type], summary=_summary(page_id, event),
            detail={"page_id": page_id, **detail}), ONCALL,
            idempotency_key=f"page-activity:{event.stream_id}:{event.version}")

