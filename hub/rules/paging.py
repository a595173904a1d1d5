"""Pages from rules: a ``schedule:``/``user:``/``group:`` target or an escalation ``policy:``
handed to on-call's ``TriggerPage``, which notifies, waits, escalates and takes the ack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.oncall.commands import TriggerPage

if TYPE_CHECKING:
    from hub.rules.actions import Firing


def trigger_page(firing: Firing, target: str, key: str, reason: str | None = None) -> str:
    """Page ``target`` about the firing's ticket; returns what happened, in one line."""
    why = reason or f"rule {firing.spec['name']}: {firing.facts.state['subject']}"
    if target.startswith("policy:"):
        command = TriggerPage(ticket_id=firing.ticket_id, policy=target[7:], reason=why[:500])
    else:
        command = TriggerPage(ticket_id=firing.ticket_id, target=target, reason=why[:500])
    result = firing.send(command, key)
    page = result.get("id") if isinstance(result, dict) else None
    return f"paged {target}" + (f" (page {page})" if page is not None else "")
