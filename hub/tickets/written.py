"""The ticket states a write produced, handed from the projection to the answer.

An API write answers with the ticket as it stands after the write. The tickets
projection computes exactly that state inside the write's own transaction, so
reading it back from the read model after the commit would build it a second time
(a connection, a query, a JSON decode) on every write. Around a command the API
opens :func:`collecting`; the projection notes each state it writes into the open
scope (nothing is noted outside one). Only a command that returned normally is
answered from its notes, so a state of a rolled-back attempt is never shown: a
retried attempt notes its own states over the failed one's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

States = dict[int, dict[str, Any]]
_open: ContextVar[States | None] = ContextVar("ticket_states_written", default=None)


@contextmanager
def collecting() -> Iterator[States]:
    """The states (ticket id -> snapshot) written by commands run inside this block."""
    states: States = {}
    token = _open.set(states)
    try:
        yield states
    finally:
        _open.reset(token)


def note(ticket_id: int, state: dict[str, Any]) -> None:
    """Called by the projection with each state it stores (same transaction)."""
    states = _open.get()
    if states is not None:
        states[ticket_id] = state


def as_stored(state: dict[str, Any]) -> dict[str, Any]:
    """The state exactly as the read model gives it back (its JSON column's round trip)."""
    loaded: dict[str, Any] = json.loads(json.dumps(state))
    return loaded
