"""Tell the ticket when one of its after-commit effects was parked.

Why here: the reactor worker (core) cannot use the tickets feature, and a parked
notification, acknowledgement or runbook hint is something the people working the
ticket must know of, not only whoever reads the logs. Ops sits above tickets and
registers :func:`note_parked` as a park hook.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from hub.actors import system_actor
from hub.domain import DomainError
from hub.eventstore import StoredEvent
from hub.reactor_failures import ticket_of
from hub.tickets import commands as tc

if TYPE_CHECKING:
    from hub.bootstrap import Hub

ACTOR = system_actor("system", "reactors")


def note_parked(hub: Hub, reactor: str, event: StoredEvent, tries: int, error: str) -> None:
    ticket_id = ticket_of(event)
    if ticket_id is None or event.meta.get("actor") == ACTOR.name:
        return  # no ticket, or our own note (its failure must not note again)
    text = (f"An effect of this ticket's event #{event.position} ({event.type}) failed "
            f"{tries} times and is parked: reactor {reactor}: {error[:500]}\n\n"
            f"An administrator can list it with `hub reactors failures` and run it again "
            f"with `hub reactors retry {reactor}:{event.position}`.")
    # A ticket gone or merged away: the table and the log still say it.
    with contextlib.suppress(DomainError):
        hub.bus.handle(tc.Comment(ticket_id, text, {"alert": True}), ACTOR,
                       idempotency_key=f"reactor-parked:{reactor}:{event.position}")
