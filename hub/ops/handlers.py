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

from sqlalchemy.exc import IntegrityError

from hub.actors import Actor, system_actor
from hub.eventstore import ConcurrencyError, utcnow
from hub.messagebus import MessageBus, UnitOfWork
from hub.ops import ticketing as t
from hub.ops.alerts.routing import default_priority, route
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import ReceiveAlert, RecordAlertAck, ReviewFlapping
from hub.ops.config import OpsConfig
from hub.ops.model import Alert, Decision
from hub.ops.vrrp import vrrp_note

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

    def receive_alert(self, cmd: ReceiveAlert, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        signal = cmd.signal
        alert = uow.get(Alert, signal.object_key, must_exist=False)
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
        return flags

    def record_ack(self, cmd: RecordAlertAck, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        alert = uow.get(Alert, cmd.object_key)
        return {"recorded": alert.record_ack_sent(cmd.problem_key, cmd.author, cmd.ticket_id)}

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
    bus.register(RecordAlertAck, handlers.record_ack)
    bus.register(ReviewFlapping, handlers.review_flapping)
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
