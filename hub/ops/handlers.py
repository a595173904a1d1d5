"""Alert command handlers: correlate a signal with its alert, then change tickets.

The alert aggregate decides what a signal means (new problem, re-notification,
recovery, flapping, a note); the ticket changes are made here with the tickets
feature's in-transaction functions in the same unit of work, so the alert event
and the ticket change commit together. A routed runbook is only stated as an
``AlertRunbookRouted`` event: the runbooks feature sits above ops and reacts to it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hub.accounts.queries import rights_for
from hub.actors import Actor, system_actor
from hub.domain import PermissionDeniedError, StateConflictError
from hub.eventstore import ConcurrencyError, utcnow
from hub.messagebus import MessageBus, UnitOfWork
from hub.ops import ticketing as t
from hub.ops.alert_states import AlertStates
from hub.ops.alerts.keepalived import summarise_vrrp
from hub.ops.alerts.routing import default_priority, route
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import (
    AcknowledgeAlert,
    ReceiveAlert,
    RecordAlertAck,
    RecordAlertAckFailed,
    ReviewFlapping,
    ReviewVrrp,
)
from hub.ops.config import OpsConfig
from hub.ops.model import Alert, Decision
from hub.ops.tables import alerts
from hub.ops.vrrp import confirm_split_brain, vrrp_note, vrrp_subject
from hub.tickets import commands as tc

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def signal_time(signal: AlertSignal) -> dt.datetime:
    """The sender's time of the signal (naive UTC, as stored), else now."""
    if signal.occurred_at is None:
        return utcnow()
    return signal.occurred_at.astimezone(dt.UTC).replace(tzinfo=None)


class AlertHandlers:
    """Handlers bound to the feature's validated configuration."""

    def __init__(self, config: OpsConfig) -> None:
        self.config = config
        self.states = AlertStates()

    def receive_alert(self, cmd: ReceiveAlert, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        signal = cmd.signal
        alert = self.states.load(uow, signal.object_key)
        at = signal_time(signal)
        chosen = route(signal, self.config.rules, self.config.default_queue)

        def active(ticket_id: int) -> bool:
            return t.is_active(uow, ticket_id)

        decision = alert.decide(signal, at, policy=self.config.flap,
                                on_recovery=chosen.on_recovery, is_active=active)
        if decision.action == "duplicate":
            return {"ticket_id": decision.ticket_id, "action": "duplicate",
                    "request_id": cmd.request_id}
        ticket_id = decision.ticket_id
        parent: int | None = None
        if decision.open_ticket:
            parent = t.find_parent_ticket(uow.conn, signal, self.config.parents)
            ticket_id = t.open_ticket(uow, actor, signal, chosen, self.config.default_queue,
                                      parent)
        flags: dict[str, bool] = {}
        if ticket_id is not None:
            if signal.kind == "state_change":
                flags = self._vrrp(uow, actor, alert, signal, decision, ticket_id)
            else:
                self._apply(uow, actor, decision, ticket_id,
                            t.escalation_priority(chosen, signal.severity))
        alert.record(signal, at, decision, ticket_id, parent_ticket_id=parent, flags=flags)
        if decision.open_ticket and chosen.runbook and ticket_id is not None:
            # runbooks (above ops) reacts to this fact and suggests the runbook
            alert.record_runbook_routed(signal, ticket_id, chosen.runbook,
                                        dict(chosen.runbook_params))
        if decision.open_ticket and chosen.escalation_policy and ticket_id is not None:
            # on-call (above ops) reacts to this fact and pages
            alert.record_escalation_routed(signal, ticket_id, chosen.escalation_policy)
        return {"ticket_id": ticket_id, "action": decision.action,
                "request_id": cmd.request_id}

    @staticmethod
    def _apply(uow: UnitOfWork, actor: Actor, decision: Decision, ticket_id: int,
               priority: int) -> None:
        if decision.note:
            t.note(uow, actor, ticket_id, decision.note)
        if decision.escalate:
            t.raise_priority(uow, actor, ticket_id, priority)
        if decision.resolve:
            t.resolve(uow, actor, ticket_id)

    @staticmethod
    def _vrrp(uow: UnitOfWork, actor: Actor, alert: Alert, signal: AlertSignal,
              decision: Decision, ticket_id: int) -> dict[str, bool]:
        episode = None if decision.new_episode else alert.episodes.get(signal.problem_key)
        previous = episode.transitions if episode else []
        text, flags, escalate = vrrp_note(previous, signal, episode.flags if episode else {})
        if not decision.open_ticket or escalate:
            t.note(uow, actor, ticket_id, text)
        if escalate:
            t.raise_priority(uow, actor, ticket_id, max(90, default_priority("critical")))
        if not decision.open_ticket:  # the subject follows the instance's current state
            summary = summarise_vrrp([AlertSignal.from_dict(d) for d in previous] + [signal])
            t.retitle(uow, actor, ticket_id, vrrp_subject(signal.service or "", summary))
        return flags

    def review_vrrp(self, cmd: ReviewVrrp, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        """Warn of a split brain that outlived the settle time (normal preemption does not)."""
        alert = uow.get(Alert, cmd.object_key, must_exist=False)
        warned = False
        for ep in alert.episodes.values():
            found = confirm_split_brain(ep.transitions, ep.flags)
            if found is None or ep.ticket_id is None or ep.state == "resolved":
                continue
            text, masters = found
            if t.is_active(uow, ep.ticket_id):
                t.note(uow, actor, ep.ticket_id, text)
                t.raise_priority(uow, actor, ep.ticket_id, max(90, default_priority("critical")))
            alert.record_split_brain(ep.problem_key, ep.ticket_id, masters)
            warned = True
        return {"warned": warned}

    def record_ack(self, cmd: RecordAlertAck, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        alert = uow.get(Alert, cmd.object_key)
        return {"recorded": alert.record_ack_sent(cmd.problem_key, cmd.author, cmd.ticket_id)}

    def acknowledge(self, cmd: AcknowledgeAlert, uow: UnitOfWork,
                    actor: Actor) -> dict[str, Any]:
        """Request the acknowledgement of the ticket's open Nagios problems.

        Staff need ModifyTicket on the ticket; the system (the ack reactor acting on a
        take or comment) names the staff member as ``author``. Nagios hears of it
        after commit; AlertAckSent follows only once its status shows it.
        """
        ticket = tc.load_visible_ticket(uow, cmd.ticket_id, actor)
        if not actor.is_system:
            rights = rights_for(actor, ticket_roles=ticket.roles_of(actor), queue=ticket.queue)
            if not actor.is_staff or "ModifyTicket" not in rights:
                raise PermissionDeniedError("acknowledging an alert needs ModifyTicket")
        number = int(ticket.number)
        query = sa.select(alerts.c.object_key, alerts.c.problem_key).where(
            alerts.c.ticket_id.in_({cmd.ticket_id, number}), alerts.c.source == "nagios",
            alerts.c.state == "open").order_by(alerts.c.first_at)
        rows = [r for r in uow.conn.execute(query).all()
                if not cmd.problem_keys or r.problem_key in cmd.problem_keys]
        if not rows:
            raise StateConflictError(f"ticket {number} has no open Nagios problem to acknowledge")
        author = cmd.author if actor.is_system and cmd.author else actor.name
        requested = [r.problem_key for r in rows
                     if uow.get(Alert, r.object_key).record_ack_requested(
                         r.problem_key, author, number, cmd.comment, cmd.reason)]
        if requested and cmd.reason == "acknowledge":
            said = f": {cmd.comment.strip()}" if cmd.comment.strip() else ""
            t.note(uow, system_actor("alert", "nagios"), number,
                   f"Acknowledged by {author}{said}. Sending the acknowledgement to Nagios; "
                   "it counts once Nagios's status shows it.")
        return {"ticket_id": number, "requested": requested,
                "state": "pending" if requested else "already requested or acknowledged"}

    def record_ack_failed(self, cmd: RecordAlertAckFailed, uow: UnitOfWork,
                          actor: Actor) -> dict[str, Any]:
        alert = uow.get(Alert, cmd.object_key)
        if not alert.record_ack_failed(cmd.problem_key, cmd.author, cmd.ticket_id,
                                       attempts=cmd.attempts, error=cmd.error,
                                       written=cmd.written, final=cmd.final):
            return {"recorded": False}
        if cmd.final and cmd.attempts == 0:
            text = (f"The Nagios acknowledgement by {cmd.author} was {cmd.error}: it could "
                    "not be confirmed. Check in Nagios that the problem shows as acknowledged.")
        elif cmd.final:
            what = ("was written to Nagios's command file but never showed in its status"
                    if cmd.written else "could not be written to Nagios's command file")
            text = (f"The Nagios acknowledgement by {cmd.author} {what}; gave up after "
                    f"{cmd.attempts} attempts. Last error: {cmd.error}. Acknowledge in "
                    "Nagios by hand, or press Acknowledge again.")
        else:
            text = (f"The Nagios acknowledgement by {cmd.author} is not confirmed yet "
                    f"({cmd.error}); retrying with backoff.")
        if t.is_active(uow, cmd.ticket_id):
            t.note(uow, actor, cmd.ticket_id, text)
        return {"recorded": True}

    def review_flapping(self, cmd: ReviewFlapping, uow: UnitOfWork,
                        actor: Actor) -> dict[str, Any]:
        """End flapping for an object that went quiet; resolve its ticket if it is up."""
        alert = uow.get(Alert, cmd.object_key, must_exist=False)
        now = utcnow()
        if not alert.calmed_down(now, self.config.flap):
            return {"stopped": False}
        ticket_id = alert.flap_ticket
        if ticket_id is not None and t.is_active(uow, ticket_id):
            state = "still in a problem state" if alert.down else "recovered"
            t.note(uow, actor, ticket_id, f"Flapping stopped after {alert.flap_changes} state "
                   f"changes; quiet since, {state}.")
            if not alert.down:
                t.resolve(uow, actor, ticket_id)
        alert.record_flap_stop(now)
        return {"stopped": True}


def register(bus: MessageBus, config: OpsConfig) -> AlertHandlers:
    handlers = AlertHandlers(config)
    bus.register(ReceiveAlert, handlers.receive_alert)
    bus.subscribe(lambda event: handlers.states.advance(bus.engine, event))
    bus.register(RecordAlertAck, handlers.record_ack)
    bus.register(ReviewFlapping, handlers.review_flapping)
    bus.register(AcknowledgeAlert, handlers.acknowledge)
    bus.register(RecordAlertAckFailed, handlers.record_ack_failed)
    bus.register(ReviewVrrp, handlers.review_vrrp)
    return handlers


def submit(hub: Hub, signal: AlertSignal, actor: Actor | None = None) -> dict[str, Any]:
    """One signal through the bus: ``{ticket_id, action}``, ``duplicate`` for a redelivery.

    The delivery id is the idempotency key; the request id stored in the first
    result tells this call's own handling from an earlier one replayed by the bus.
    """
    request_id = uuid.uuid4().hex
    command = ReceiveAlert(signal, request_id)
    actor = actor or system_actor("alert", signal.source)
    for attempt in range(3):
        try:
            result = hub.bus.handle(command, actor,
                                    idempotency_key=f"alert:{signal.delivery_id}")
            break
        except (ConcurrencyError, IntegrityError):
            # Another process appended to the same alert or stored the same delivery
            # first (PostgreSQL): handling again sees its result.
            if attempt == 2:
                raise
    action = result["action"] if result.get("request_id") == request_id else "duplicate"
    return {"ticket_id": result.get("ticket_id"), "action": action}
