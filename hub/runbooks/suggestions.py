"""Suggested runbooks on tickets, e.g. the runbook an alert routing rule names.

When a routing rule names a runbook (``Route.runbook``), the ops feature records
``AlertRunbookRouted`` on the alert; ops sits below runbooks, so it does not call
in here: :class:`hub.runbooks.reactors.AlertRunbookSuggester` reacts to that event
with :class:`~hub.runbooks.commands.SuggestRoutedRunbook`. Anyone else may send
``SuggestRunbook`` (or call :func:`suggest_runbook`). The suggestion is an event
on the ticket's suggestion stream and a comment on the ticket with a link that
starts the run with those parameters; nothing runs without a person.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import sqlalchemy as sa

from hub.actors import Actor, system_actor
from hub.domain import Aggregate, DomainError
from hub.eventstore import StoredEvent
from hub.messagebus import UnitOfWork
from hub.projections import TableProjection
from hub.runbooks import commands as c
from hub.runbooks.events import RunbookSuggested
from hub.runbooks.masking import mask_params, mask_text, secret_values
from hub.runbooks.source import split_name
from hub.runbooks.tables import runbook_suggestions
from hub.tickets import commands as tc

if TYPE_CHECKING:
    from hub.bootstrap import Hub


class TicketRunbooks(Aggregate):
    """The runbooks suggested for one ticket (one stream per ticket)."""

    stream_prefix = "runsuggest"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.suggested: dict[str, dict[str, Any]] = {}

    def suggest(self, actor: Actor, runbook: str, params: dict[str, Any], reason: str) -> bool:
        if self.suggested.get(runbook) == params:
            return False  # the same alert again: nothing new to say
        self._record(RunbookSuggested(ticket_id=int(self.id), runbook=runbook,
                                      params=params, reason=reason[:500], by=actor.name))
        return True

    def _on_RunbookSuggested(self, d: dict[str, Any]) -> None:
        self.suggested[d["runbook"]] = d["params"]


def start_link(ticket_id: int, runbook: str, params: dict[str, Any]) -> str:
    web, topic = split_name(runbook)
    query = urlencode({"ticket_id": ticket_id, **{f"param.{k}": v for k, v in params.items()}})
    return f"/runbooks/{web}/{topic}?{query}"


def suggest(cmd: c.SuggestRunbook, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    web, topic = split_name(cmd.runbook)
    runbook = f"{web}.{topic}"
    given = {str(k): str(v) for k, v in (cmd.params or {}).items()}
    secrets = secret_values(given)
    params = mask_params(given, secrets)
    masked_reason = mask_text(str(cmd.reason or "")[:500], secrets)
    tc.load_visible_ticket(uow, cmd.ticket_id, actor)
    agg = uow.get(TicketRunbooks, cmd.ticket_id, must_exist=False)
    if agg.suggest(actor, runbook, params, masked_reason):
        uow.add(agg)
        reason = f" ({masked_reason})" if masked_reason else ""
        tc.comment(tc.Comment(ticket_id=cmd.ticket_id, body=(
            f"Suggested runbook {runbook}{reason} with parameters "
            f"{json.dumps(params, sort_keys=True)}. Start it at "
            f"{start_link(cmd.ticket_id, runbook, params)}"),
            extra={"runbook_suggestion": runbook}), uow, actor)
        return {"ticket_id": cmd.ticket_id, "runbook": runbook, "suggested": True}
    return {"ticket_id": cmd.ticket_id, "runbook": runbook, "suggested": False}


def suggest_routed(cmd: c.SuggestRoutedRunbook, uow: UnitOfWork,
                   actor: Actor) -> dict[str, Any]:
    """Attach the routed runbook to a new alert ticket; a bad name becomes a note."""
    try:
        return suggest(c.SuggestRunbook(ticket_id=cmd.ticket_id, runbook=cmd.runbook,
                                        params=cmd.params, reason=cmd.reason), uow, actor)
    except DomainError as exc:
        tc.comment(tc.Comment(cmd.ticket_id, f"Suggested runbook not attached: {exc.message}",
                              {"alert": True}), uow, actor)
        return {"ticket_id": cmd.ticket_id, "runbook": cmd.runbook, "suggested": False,
                "error": exc.message}


def suggest_runbook(hub: Hub, ticket_id: int, runbook: str, params: dict[str, Any] | None = None,
                    reason: str = "", actor: Actor | None = None) -> dict[str, Any]:
    """Suggest a runbook on a ticket through the bus (scripts, tests, other callers)."""
    result: dict[str, Any] = hub.bus.handle(
        c.SuggestRunbook(ticket_id=ticket_id, runbook=runbook, params=dict(params or {}),
                         reason=reason), actor or system_actor("alert", "alert-routing"))
    return result


class SuggestionsProjection(TableProjection):
    name = "runbook_suggestions"
    tables = (runbook_suggestions,)
    prefixes = ("runsuggest-",)

    def on_RunbookSuggested(self, conn: sa.Connection, event: StoredEvent) -> None:
        d = event.data
        key = (runbook_suggestions.c.ticket_id == d["ticket_id"]) & (
            runbook_suggestions.c.runbook == d["runbook"])
        conn.execute(sa.delete(runbook_suggestions).where(key))
        conn.execute(sa.insert(runbook_suggestions).values(
            ticket_id=d["ticket_id"], runbook=d["runbook"], params=d["params"],
            reason=d.get("reason", ""), suggested_by=d["by"], at=event.at))


def suggestions_for(conn: sa.Connection, ticket_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(runbook_suggestions).where(
        runbook_suggestions.c.ticket_id == ticket_id).order_by(runbook_suggestions.c.at)).all()
    return [{"runbook": r.runbook, "params": r.params, "reason": r.reason,
             "suggested_by": r.suggested_by, "at": _iso(r.at),
             "start": start_link(ticket_id, r.runbook, r.params)} for r in rows]


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"
