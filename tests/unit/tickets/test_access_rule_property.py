"""The list filter is the access rule: ``visible(actor)`` selects exactly what ``can_see`` allows.

Random grants (to users, groups and ticket roles, per queue and on ``*``), random
actors and random tickets are written to the real read-model tables in SQLite;
the actor's profile is loaded the way every entrypoint loads it, and the ids the
SQL condition selects must equal the ids whose snapshot passes ``can_see``, for
ShowTicket and for any other queue right.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.accounts.queries import QUEUE_RIGHTS, TICKET_ROLES, load_access
from hub.accounts.tables import acl_grants, group_members
from hub.actors import Actor
from hub.db import metadata
from hub.tickets.queries import can_see, visible
from hub.tickets.tables import ticket_watchers, tickets

QUEUES = ("General", "Ops", "net")          # canonical names, as tickets store them
SCOPES = ("*", "general", "ops", "net", "ghost")  # grant scopes: keys, global, no tickets
USERS = ("ann", "bob")
GROUPS = ("l1", "l2")
EMAILS = ("ann@x.test", "bob@x.test", "d@x.test")
WATCHER_ROLES = ("requestors", "cc", "admincc")
NOW = dt.datetime(2026, 1, 1)
# Mostly a few rights that separate the cases (customers' cap, staff defaults,
# DeleteTicket which nobody holds by default), sometimes any right.
KEY_RIGHTS = ("ShowTicket", "DeleteTicket", "ReplyToTicket", "ShowTicketComments")
some_right = st.one_of(st.sampled_from(KEY_RIGHTS), st.sampled_from(QUEUE_RIGHTS))


@lru_cache(maxsize=1)
def _engine() -> sa.Engine:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine, tables=[tickets, ticket_watchers, acl_grants, group_members])
    return engine


_role = st.sampled_from(TICKET_ROLES).map(lambda r: f"role:{r}")
principals = st.one_of(  # role grants twice as likely: they are the subtle part
    st.sampled_from(USERS).map(lambda u: f"user:{u}"),
    st.sampled_from(GROUPS).map(lambda g: f"group:{g}"), _role, _role,
)
grants = st.sets(st.tuples(st.sampled_from(SCOPES), principals, some_right), max_size=12)
memberships = st.sets(st.tuples(st.sampled_from(GROUPS), st.sampled_from(USERS)), max_size=4)
actors = st.builds(
    lambda name, email, role: (name, email, role),
    st.sampled_from(USERS), st.one_of(st.just(""), st.sampled_from(EMAILS)),
    st.sampled_from(("admin", "staff", "customer", "system")),
)
ticket = st.fixed_dictionaries({
    "queue": st.sampled_from(QUEUES),
    "owner": st.one_of(st.none(), st.sampled_from(USERS)),
    "watchers": st.fixed_dictionaries(
        {r: st.lists(st.sampled_from(EMAILS), unique=True, max_size=2) for r in WATCHER_ROLES}),
})
rights = st.one_of(st.just("ShowTicket"), some_right)


def _write(conn: sa.Connection, grant_rows: set[tuple[str, str, str]],
           members: set[tuple[str, str]], states: list[dict[str, Any]]) -> None:
    for table in (acl_grants, group_members, ticket_watchers, tickets):
        conn.execute(sa.delete(table))
    for scope, principal, right in grant_rows:
        conn.execute(sa.insert(acl_grants).values(scope=scope, principal=principal,
                                                  right_name=right))
    for group, user in members:
        conn.execute(sa.insert(group_members).values(group_name=group, username=user))
    for state in states:
        conn.execute(sa.insert(tickets).values(
            id=state["id"], version=1, queue=state["queue"], subject="s", status="new",
            owner=state["owner"], priority=0, created_at=NOW, updated_at=NOW,
            merged_into=None, state=state, search_text=""))
        for role, people in state["watchers"].items():
            for address in people:
                conn.execute(sa.insert(ticket_watchers).values(
                    ticket_id=state["id"], role=role, address=address))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grant_rows=grants, members=memberships, who=actors,
       drawn=st.lists(ticket, min_size=1, max_size=8), data=st.data())
def test_visible_selects_exactly_the_tickets_can_see_allows(
        grant_rows: set[tuple[str, str, str]], members: set[tuple[str, str]],
        who: tuple[str, str, str], drawn: list[dict[str, Any]], data: st.DataObject) -> None:
    # Half the time a right some grant names, so grants decide the outcome.
    named = sorted({r for _, _, r in grant_rows} | {"ShowTicket"})
    right = data.draw(st.one_of(st.sampled_from(named), rights), label="right")
    states = [{**t, "id": i + 1} for i, t in enumerate(drawn)]
    name, email, role = who
    with _engine().begin() as conn:
        _write(conn, grant_rows, members, states)
        actor = Actor(name=name, email=email, role=role, source="web",
                      rights=load_access(conn, name))
        selected = set(conn.execute(sa.select(tickets.c.id).where(visible(actor, right)))
                       .scalars())
    allowed = {s["id"] for s in states if can_see(actor, s, right)}
    assert selected == allowed


def test_a_customer_with_no_role_sees_nothing() -> None:
    state = {"id": 1, "queue": "General", "owner": None,
             "watchers": {"requestors": ["d@x.test"], "cc": [], "admincc": []}}
    with _engine().begin() as conn:
        _write(conn, set(), set(), [state])
        actor = Actor(name="ann", email="ann@x.test", role="customer",
                      rights=load_access(conn, "ann"))
        assert list(conn.execute(sa.select(tickets.c.id).where(visible(actor)))) == []
    assert not can_see(actor, state)
