"""The Alert aggregate: one per monitored object, holding its problems as episodes.

Why per object and not per problem: flapping is a property of the object (each
Nagios PROBLEM after a RECOVERY has a new problem id), and acknowledgement or
downtime notices arrive with a problem id of 0 and must find the object's open
problem. Inside the aggregate each ``problem_key`` has episodes: a key whose ticket
is resolved and that comes back (problem ids restart) starts a new episode with a
new ticket. ``decide`` is pure and says what the signal means for the tickets; the
handler carries that out and ``record`` stores the outcome as events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.domain import Aggregate
from hub.ops import events as ev
from hub.ops.alerts.flapping import FlapPolicy, is_flapping
from hub.ops.alerts.signal import SEVERITIES, AlertSignal
from hub.ops.model_acks import AckRecords
from hub.ops.vrrp import VrrpRecords

MAX_DELIVERIES = 500  # remembered delivery ids per object (the bus key covers the rest)
MAX_CHANGES = 50
MAX_TRANSITIONS = 200
FLAP_KINDS = ("problem", "recovery")
NOTE_KINDS = {
    "acknowledgement": "Acknowledged",
    "downtime_start": "Downtime started",
    "downtime_end": "Downtime ended",
    "flapping_start": "Source reports flapping started",
    "flapping_stop": "Source reports flapping stopped",
    "custom": "Custom notification",
    "info": "Information",
}


def more_urgent(new: str, old: str) -> bool:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return order.get(new, 99) < order.get(old, 99)


@dataclass
class Episode:
    problem_key: str
    number: int
    ticket_id: int | None
    state: str  # open | recovered | resolved
    severity: str
    count: int = 0
    first_at: str = ""
    last_at: str = ""
    acknowledged: bool = False
    ack_sent: bool = False
    ack_requested: bool = False
    transitions: list[dict[str, Any]] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What one signal means; the handler turns it into ticket commands."""

    action: str  # opened | updated | resolved | duplicate | ignored
    ticket_id: int | None = None
    episode_key: str | None = None
    new_episode: bool = False
    episode_state: str = "open"
    open_ticket: bool = False
    resolve: bool = False
    escalate: bool = False
    note: str = ""  # what to say on the ticket ("" = nothing)
    flapping: str | None = None  # start | stop
    change: bool = False


IsActive = Callable[[int], bool]


class Alert(AckRecords, VrrpRecords, Aggregate):
    stream_prefix = "alert"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.episodes: dict[str, Episode] = {}
        self.deliveries: list[str] = []
        self._delivery_set: set[str] = set()
        self.changes: list[str] = []
        self.down = False
        self.flapping = False
        self.flap_ticket: int | None = None
        self.flap_changes = 0

    @classmethod
    def stream_id_for(cls, aggregate_id: str | int) -> str:
        key = str(aggregate_id)
        if len(key) > 180:  # stream ids are at most 200 characters
            key = key[:120] + "#" + hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"{cls.stream_prefix}-{key}"

    # -- queries -----------------------------------------------------------------
    def seen(self, delivery_id: str) -> bool:
        return delivery_id in self._delivery_set

    def live_episode(self, key: str, is_active: IsActive) -> Episode | None:
        """The key's episode if it is not resolved and its ticket is still active."""
        ep = self.episodes.get(key)
        if ep is None or ep.state == "resolved" or ep.ticket_id is None:
            return None
        return ep if is_active(ep.ticket_id) else None

    def live_object_episode(self, is_active: IsActive) -> Episode | None:
        """The newest live episode of the object (for notices with problem id 0)."""
        for ep in sorted(self.episodes.values(), key=lambda e: e.last_at, reverse=True):
            if ep.state != "resolved" and ep.ticket_id is not None and is_active(ep.ticket_id):
                return ep
        return None

    def _is_change(self, signal: AlertSignal) -> bool:
        if signal.kind == "problem":
            return not self.down
        return signal.kind == "recovery" and self.down

    # -- decisions ---------------------------------------------------------------
    def decide(self, signal: AlertSignal, at: dt.datetime, *, policy: FlapPolicy,
               on_recovery: str, is_active: IsActive) -> Decision:
        if self.seen(signal.delivery_id):
            ep = self.episodes.get(signal.problem_key)
            return Decision("duplicate", ep.ticket_id if ep else None)
        if signal.kind == "state_change":
            return self._decide_state_change(signal, is_active)
        if signal.kind in FLAP_KINDS:
            change = self._is_change(signal)
            times = [dt.datetime.fromisoformat(t) for t in self.changes]
            if change:
                times.append(at)
            flapping = is_flapping(times, at, policy, was_flapping=self.flapping)
            if self.flapping or flapping:
                return self._decide_flapping(signal, flapping, change, on_recovery, is_active)
            if signal.kind == "problem":
                return self._decide_problem(signal, change, is_active)
            return self._decide_recovery(signal, change, on_recovery, is_active)
        return self._decide_note(signal, is_active)

    def _decide_problem(self, signal: AlertSignal, change: bool, is_active: IsActive) -> Decision:
        ep = self.live_episode(signal.problem_key, is_active)
        if ep is None:
            return Decision("opened", None, signal.problem_key, new_episode=True,
                            open_ticket=True, change=change)
        escalate = more_urgent(signal.severity, ep.severity)
        word = "escalated" if escalate else "re-notification"
        note = (f"Alert {word} #{ep.count + 1}: {signal.state} ({signal.severity})\n\n"
                f"{signal.output}").strip()
        return Decision("updated", ep.ticket_id, signal.problem_key, escalate=escalate,
                        note=note, change=change)

    def _decide_recovery(self, signal: AlertSignal, change: bool, on_recovery: str,
                         is_active: IsActive) -> Decision:
        ep = self.episodes.get(signal.problem_key)
        if ep is None or ep.state == "resolved" or ep.ticket_id is None:
            return Decision("ignored", ep.ticket_id if ep else None, None, change=change)
        if not is_active(ep.ticket_id):  # staff resolved it already: close the episode only
            return Decision("resolved", ep.ticket_id, signal.problem_key,
                            episode_state="resolved", change=change)
        note = f"Recovered: {signal.state}\n\n{signal.output}".strip()
        if on_recovery == "comment":
            return Decision("updated", ep.ticket_id, signal.problem_key,
                            episode_state="recovered", note=note, change=change)
        return Decision("resolved", ep.ticket_id, signal.problem_key, episode_state="resolved",
                        resolve=True, note=note, change=change)

    def _decide_flapping(self, signal: AlertSignal, flapping: bool, change: bool,
                         on_recovery: str, is_active: IsActive) -> Decision:
        problem = signal.kind == "problem"
        ep = self.episodes.get(signal.problem_key)
        live = self.live_object_episode(is_active)
        ticket = self.flap_ticket if self.flapping else (live.ticket_id if live else None)
        state = "open" if problem else "recovered"
        new_episode = problem and (ep is None or ep.state == "resolved")
        key = signal.problem_key if (problem or ep is not None) else None
        if not self.flapping:  # starts now
            note = (f"Flapping started: {len(self.changes) + int(change)} state changes within "
                    "the flap window. Further changes are recorded on the alert only, "
                    "until it calms down.")
            if ticket is None and problem:
                return Decision("opened", None, key, new_episode=True, open_ticket=True,
                                note=note, flapping="start", change=change)
            return Decision("updated", ticket, key, new_episode=new_episode,
                            episode_state=state, note=note, flapping="start", change=change)
        if flapping:  # still flapping: no ticket churn
            if ticket is None and problem:
                return Decision("opened", None, key, new_episode=True, open_ticket=True,
                                note="Flapping continues.", change=change)
            return Decision("updated", ticket, key, new_episode=new_episode,
                            episode_state=state, change=change)
        note = (f"Flapping stopped after {self.flap_changes + int(change)} state changes; "
                f"now {signal.state}.")
        if not problem and ticket is not None and on_recovery == "resolve" and is_active(ticket):
            return Decision("resolved", ticket, key, episode_state="resolved", resolve=True,
                            note=f"{note}\n\n{signal.output}".strip(), flapping="stop",
                            change=change)
        return Decision("updated", ticket, key, new_episode=new_episode, episode_state=state,
                        note=note, flapping="stop", change=change)

    def _decide_note(self, signal: AlertSignal, is_active: IsActive) -> Decision:
        ep = self.live_episode(signal.problem_key, is_active) or self.live_object_episode(
            is_active)
        if ep is None:
            return Decision("ignored", None, None)
        author = signal.details.get("author") or ""
        comment = signal.details.get("comment") or ""
        head = NOTE_KINDS.get(signal.kind, signal.kind)
        who = f" by {author}" if author else ""
        note = f"{head} in {signal.source}{who}: {comment or signal.output}".strip()
        return Decision("updated", ep.ticket_id, ep.problem_key, episode_state=ep.state,
                        note=note)

    def _decide_state_change(self, signal: AlertSignal, is_active: IsActive) -> Decision:
        ep = self.live_episode(signal.problem_key, is_active)
        if ep is None:
            return Decision("opened", None, signal.problem_key, new_episode=True,
                            open_ticket=True)
        return Decision("updated", ep.ticket_id, signal.problem_key)

    # -- recording ---------------------------------------------------------------
    def record(self, signal: AlertSignal, at: dt.datetime, decision: Decision,
               ticket_id: int | None, *, parent_ticket_id: int | None = None,
               flags: dict[str, bool] | None = None) -> None:
        self._record(ev.AlertReceived(
            signal=signal.to_dict(), at=at.isoformat(),
            action=decision.action, ticket_id=ticket_id, episode_key=decision.episode_key,
            new_episode=decision.new_episode, episode_state=decision.episode_state,
            change=decision.change, parent_ticket_id=parent_ticket_id, flags=flags or {},
            flapping=(self.flapping and decision.flapping != "stop")
            or decision.flapping == "start",
        ))
        if decision.flapping == "start":
            self._record(ev.AlertFlappingStarted(object_key=self.id, at=at.isoformat(),
                                                 ticket_id=ticket_id, changes=len(self.changes)))
        elif decision.flapping == "stop":
            self.record_flap_stop(at)

    def calmed_down(self, at: dt.datetime, policy: FlapPolicy) -> bool:
        """A flapping object that has gone quiet (no signal comes to tell us)."""
        times = [dt.datetime.fromisoformat(t) for t in self.changes]
        return self.flapping and not is_flapping(times, at, policy, was_flapping=True)

    def record_flap_stop(self, at: dt.datetime) -> None:
        self._record(ev.AlertFlappingStopped(object_key=self.id, at=at.isoformat(),
                                             ticket_id=self.flap_ticket,
                                             changes=self.flap_changes))

    def record_runbook_routed(self, signal: AlertSignal, ticket_id: int, runbook: str,
                              params: dict[str, Any]) -> None:
        """State that the new ticket's route names a runbook; runbooks suggests it."""
        self._record(ev.AlertRunbookRouted(
            object_key=self.id, problem_key=signal.problem_key, ticket_id=ticket_id,
            runbook=runbook, params=dict(params), title=signal.title))

    def record_escalation_routed(self, signal: AlertSignal, ticket_id: int,
                                 policy: str) -> None:
        """State that the new ticket's route names an escalation policy; on-call pages."""
        self._record(ev.AlertEscalationRouted(
            object_key=self.id, problem_key=signal.problem_key,
            ticket_id=ticket_id, policy=policy, title=signal.title))

    # -- appliers ----------------------------------------------------------------
    def _on_AlertReceived(self, d: dict[str, Any]) -> None:
        signal = d["signal"]
        self.deliveries.append(signal["delivery_id"])
        self._delivery_set.add(signal["delivery_id"])
        if len(self.deliveries) > MAX_DELIVERIES:
            self._delivery_set.discard(self.deliveries.pop(0))
        if d["change"]:
            self.changes = [*self.changes, d["at"]][-MAX_CHANGES:]
            self.down = signal["kind"] == "problem"
            if self.flapping:
                self.flap_changes += 1
        if self.flapping and self.flap_ticket is None and d["ticket_id"] is not None:
            self.flap_ticket = d["ticket_id"]
        key = d.get("episode_key")
        if key is None:
            return
        previous = self.episodes.get(key)
        if d["new_episode"] or previous is None:
            number = previous.number + 1 if previous else 1
            previous = Episode(key, number, d["ticket_id"], d["episode_state"],
                               signal["severity"], 0, d["at"], d["at"])
            self.episodes[key] = previous
        ep = previous
        ep.ticket_id = d["ticket_id"] if d["ticket_id"] is not None else ep.ticket_id
        ep.state = d["episode_state"]
        ep.last_at = d["at"]
        if signal["kind"] in ("problem", "state_change"):
            ep.count += 1
            ep.severity = signal["severity"]
        if signal["kind"] == "acknowledgement":
            ep.acknowledged = True
        if signal["kind"] == "state_change":
            ep.transitions = [*ep.transitions, signal][-MAX_TRANSITIONS:]
        ep.flags.update(d.get("flags") or {})

    def _on_AlertFlappingStarted(self, d: dict[str, Any]) -> None:
        self.flapping = True
        self.flap_ticket = d["ticket_id"]
        self.flap_changes = 0

    def _on_AlertFlappingStopped(self, d: dict[str, Any]) -> None:
        self.flapping = False
        self.flap_ticket = None
