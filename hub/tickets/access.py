"""The one access rule on tickets, on one ticket and as a SQL filter.

:func:`can_see` asks :func:`hub.accounts.queries.rights_for` about one ticket
snapshot; :func:`visible` builds the list filter from the very same function, so
a list, a count or a search never shows a ticket its page would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from hub.accounts.queries import (
    TICKET_ROLES,
    is_unrestricted,
    mentioned_scopes,
    rights_for,
    rights_on,
)
from hub.actors import Actor
from hub.tickets.tables import ticket_watchers, tickets


def can_see(viewer: Actor, state: Mapping[str, Any], right: str = "ShowTicket") -> bool:
    """``right`` (ShowTicket by default) on this ticket, by the one rights evaluation
    handlers use too; :func:`visible` is the same rule as a SQL filter."""
    if is_unrestricted(viewer):
        return True
    return right in rights_on(viewer, state)


def _in_scopes(scopes: frozenset[str] | set[str]) -> Any:
    return sa.func.lower(tickets.c.queue).in_(sorted(scopes))


_UNMENTIONED = " unmentioned"  # no queue name starts with a space


def _holds(viewer: Actor, role: str) -> Any:
    """SQL: ``viewer`` holds ``role`` on the ticket, as :func:`roles_in` decides it."""
    if role == "owner":
        return tickets.c.owner == viewer.name
    if not viewer.email:
        return sa.false()
    return tickets.c.id.in_(sa.select(ticket_watchers.c.ticket_id).where(
        ticket_watchers.c.address == viewer.email, ticket_watchers.c.role == role))


def visible(viewer: Actor, right: str = "ShowTicket") -> Any:
    """A SQL condition selecting the tickets on which ``viewer`` holds ``right``.

    Derived from :func:`hub.accounts.queries.rights_for`, never written beside it:
    rights depend only on the ticket's queue and the roles the viewer holds there,
    and ``rights_for`` treats every queue its profile does not mention alike. So
    it is asked once per mentioned queue plus once for one sentinel queue, with no
    role and with each single role; the union over several roles is the union of
    the single-role answers (the customer cap is an intersection, which
    distributes over that union). :func:`can_see` is the same rule on one ticket.
    """
    mentioned = mentioned_scopes(viewer)
    clauses: list[Any] = []
    everywhere = True
    for scope in (*sorted(mentioned), _UNMENTIONED):
        where = (_in_scopes({scope}) if scope != _UNMENTIONED
                 else sa.not_(_in_scopes(mentioned)) if mentioned else sa.true())
        if right in rights_for(viewer, queue=scope):
            clauses.append(where)
            continue
        everywhere = False
        roles = [r for r in TICKET_ROLES if right in rights_for(viewer, queue=scope,
                                                                  ticket_roles={r})]
        if roles:
            clauses.append(sa.and_(where, sa.or_(*(_holds(viewer, r) for r in roles))))
    if everywhere:
        return sa.true()
    return sa.or_(*clauses) if clauses else sa.false()
