"""A rule's ``do``: each action becomes commands on the bus, one idempotency key each.

The key is ``rule:<name>:<cause>:<action index>`` (plus the recipient and channel for
a notification that fans out), so a firing that is run again after a crash, a restart
or on another node repeats nothing that already happened and finishes what did not.
Every action returns one line saying what really happened (``queued`` only when the
channel queued it), which the firing records on the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hub.accounts.queries import list_groups, user_by_email
from hub.actors import Actor
from hub.channels.commands import Notify
from hub.durations import DurationError, parse_duration
from hub.eventstore import utcnow
from hub.rules.facts import Facts
from hub.rules.paging import trigger_page
from hub.rules.templating import render
from hub.tickets import commands as tc
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

WATCHER_ROLES = ("requestors", "cc", "admincc")


@dataclass(frozen=True)
class Firing:
    """One rule answering one cause: what every action of it needs."""

    hub: Hub
    spec: dict[str, Any]
    facts: Facts
    cause: str
    actor: Actor
    context: dict[str, Any]
    correlation_id: str | None
    causation_id: str | None

    @property
    def ticket_id(self) -> int:
        return self.facts.ticket_id

    def key(self, index: int, *more: str) -> str:
        return ":".join(["rule", self.spec["name"].lower(), self.cause, str(index), *more])

    def send(self, command: Any, key: str) -> Any:
        return self.hub.bus.handle(command, self.actor, idempotency_key=key,
                                   correlation_id=self.correlation_id,
                                   causation_id=self.causation_id)

    def text(self, action: dict[str, Any], default: str = "") -> str:
        template = action.get("template") or self.spec.get("template")
        return render(template, self.context) if template else default


def _recipients(firing: Firing, target: str) -> list[tuple[str, str | None, str | None]]:
    """``(label, user, address)`` for one ``to`` entry (roles, users, groups, addresses)."""
    watchers = firing.facts.state["watchers"]
    if target in (*WATCHER_ROLES, "watchers"):
        roles = WATCHER_ROLES if target == "watchers" else (target,)
        return [(a, None, a) for role in roles for a in watchers[role]]
    if target == "owner":
        owner = firing.facts.state["owner"]
        return [(f"user:{owner}", owner, None)] if owner else []
    if target.startswith("user:"):
        return [(target, target[5:], None)]
    if target.startswith("group:"):
        with firing.hub.engine.connect() as conn:
            groups = {g.name.lower(): g for g in list_groups(conn)}
        group = groups.get(target[6:].lower())
        return [(f"user:{m}", m, None) for m in (group.members if group else ())]
    return [(target, None, target)]


def _notify(firing: Firing, index: int, action: dict[str, Any]) -> str:
    subject = (render(action["subject"], firing.context) if action.get("subject") else
               f"[#{firing.ticket_id}] {firing.facts.state['subject']}")[:300]
    text = firing.text(action, default=f"Rule {firing.spec['name']} on ticket "
                                       f"#{firing.ticket_id}: {firing.facts.state['subject']}")
    said: list[str] = []
    for target in action["to"]:
        if target.startswith(("schedule:", "policy:")):
            said.append(trigger_page(firing, target, firing.key(index, target)))
            continue
        people = _recipients(firing, target)
        if not people:
            said.append(f"{target}: nobody to notify")
        for label, user, address in people:
            for via in action["via"]:
                said.append(_notify_one(firing, index, label, user, address, via, subject, text))
    return "notify " + ", ".join(said)


def _notify_one(firing: Firing, index: int, label: str, user: str | None, address: str | None,
                via: str, subject: str, text: str) -> str:
    if address and via != "mail":
        with firing.hub.engine.connect() as conn:  # other channels reach users, not addresses
            info = user_by_email(conn, address)
        if info is None:
            return f"{label} by {via}: no account to reach"
        user, address = info.name, None
    result = firing.send(Notify(via=via, subject=subject, text=text, user=user, address=address,
                                ticket_id=firing.ticket_id, cause=firing.key(index),
                                payload={"rule": firing.spec["name"]}),
                         firing.key(index, label, via))
    return f"{label} by {via} ({result.get('state', 'queued')})"


def _due(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return (utcnow() + parse_duration(value)).isoformat()
    except DurationError:
        return value


def _update(firing: Firing, index: int, changes: dict[str, Any], verb: str) -> str:
    priority = changes.get("priority")
    if isinstance(priority, str):  # escalate by "+N" / "-N" from the current priority
        with firing.hub.engine.connect() as conn:
            state = tq.state_at(conn, firing.hub.store, firing.ticket_id)
        base = int((state or firing.facts.state)["priority"])
        priority = max(0, min(99, base + int(priority)))
    command = tc.UpdateTicket(
        ticket_id=firing.ticket_id, status=changes.get("status"), priority=priority,
        queue=changes.get("queue"), fields=changes.get("fields"),
        owner=changes.get("owner"), owner_set="owner" in changes,
        due=_due(changes.get("due")), due_set="due" in changes)
    firing.send(command, firing.key(index))
    shown = {**changes, **({"priority": priority} if priority is not None else {})}
    return f"{verb} " + ", ".join(f"{k} {v if v is not None else 'none'}"
                                  for k, v in shown.items())


def _message(firing: Firing, index: int, action: dict[str, Any]) -> str:
    body = firing.text(action).strip()
    if not body:
        return f"{action['action']} skipped: the template rendered nothing"
    cls = tc.Correspond if action["action"] == "correspond" else tc.Comment
    firing.send(cls(ticket_id=firing.ticket_id, body=body), firing.key(index))
    return "replied to the requestors" if cls is tc.Correspond else "commented"


def _webhook(firing: Firing, index: int, action: dict[str, Any]) -> str:
    text = firing.text(action, default=f"Rule {firing.spec['name']} fired on ticket "
                                       f"#{firing.ticket_id}")
    payload = {"rule": firing.spec["name"], "ticket": firing.context["ticket"],
               "event": firing.context["event"]}
    result = firing.send(Notify(via="webhook", subject=f"Rule {firing.spec['name']}: ticket "
                                f"#{firing.ticket_id}", text=text, address=action["url"],
                                ticket_id=firing.ticket_id, cause=firing.key(index),
                                payload=payload), firing.key(index, "webhook"))
    # Only the host: incoming-webhook URLs carry their secret in the path, and this
    # line lands in the ticket's history, the rule's firings and the log.
    where = urlsplit(str(action["url"]))
    return f"webhook to {where.scheme}://{where.hostname} ({result.get('state', 'queued')})"


def _page(firing: Firing, index: int, action: dict[str, Any]) -> str:
    target = f"policy:{action['policy']}" if action.get("policy") else str(action["target"])
    return trigger_page(firing, target, firing.key(index), action.get("reason"))


def run_action(firing: Firing, index: int, action: dict[str, Any]) -> str:
    """Carry out one action; DomainErrors propagate for the firing to record."""
    kind = action["action"]
    if kind == "notify":
        return _notify(firing, index, action)
    if kind in ("set", "escalate"):
        changes = {k: v for k, v in action.items() if k != "action"}
        return _update(firing, index, changes, "set" if kind == "set" else "escalated")
    if kind in ("comment", "correspond"):
        return _message(firing, index, action)
    if kind == "webhook":
        return _webhook(firing, index, action)
    return _page(firing, index, action)
