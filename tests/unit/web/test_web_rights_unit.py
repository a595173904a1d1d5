"""The one rights evaluation: defaults, grants, managed queues, the customer cap."""

from __future__ import annotations

from hub.accounts.rights import (
    CUSTOMER_CAP,
    STAFF_DEFAULT,
    build_profile,
    profile_of,
    rights_for,
    rights_on,
)
from hub.actors import Actor

STAFF = Actor("alice", "alice@example.com", "staff", "web")
CUSTOMER = Actor("carol", "carol@example.com", "customer", "web")
ADMIN = Actor("root", "root@example.com", "admin", "web")


def _with(actor: Actor, grants: list[tuple[str, str, str]], groups: tuple[str, ...] = ()) -> Actor:
    principals = {f"user:{actor.name}", *(f"group:{g}" for g in groups)}
    return actor.with_rights(build_profile(grants, principals).encode())


def test_defaults_without_grants() -> None:
    assert rights_for(STAFF, queue="General") == STAFF_DEFAULT
    assert "DeleteTicket" in rights_for(ADMIN, queue="General")
    assert rights_for(CUSTOMER, queue="General") == {"CreateTicket"}
    assert rights_for(CUSTOMER, customers_may_create=False) == frozenset()
    assert rights_for(CUSTOMER, ticket_roles={"requestors"}) >= {"ShowTicket", "ReplyToTicket",
                                                                  "ResolveTicket"}
    assert "ResolveTicket" not in rights_for(CUSTOMER, ticket_roles={"cc"})


def test_group_grant_manages_the_queue_for_staff() -> None:
    grants = [("network", "group:netops", "ShowTicket")]
    outsider = _with(STAFF, grants)
    insider = _with(STAFF, grants, ("netops",))
    assert rights_for(outsider, queue="Network") == frozenset()
    assert rights_for(insider, queue="Network") == {"ShowTicket"}
    assert rights_for(outsider, queue="General") == STAFF_DEFAULT  # not managed
    assert rights_for(outsider, queue="General", ticket_roles={"owner"}) == STAFF_DEFAULT


def test_global_grants_add_and_customers_stay_capped() -> None:
    grants = [("*", "group:vip", "ShowTicketComments"), ("*", "group:vip", "SeeQueue"),
              ("*", "user:alice", "DeleteTicket")]
    assert "DeleteTicket" in rights_for(_with(STAFF, grants), queue="General")
    vip = _with(CUSTOMER, grants, ("vip",))
    assert rights_for(vip, queue="General") <= CUSTOMER_CAP
    assert "SeeQueue" in rights_for(vip, queue="General")


def test_role_grants_replace_role_defaults_per_queue() -> None:
    grants = [("general", "role:requestors", "ShowTicket")]
    carol = _with(CUSTOMER, grants)
    assert rights_for(carol, queue="General", ticket_roles={"requestors"}) >= {"ShowTicket"}
    assert "ReplyToTicket" not in rights_for(carol, queue="General", ticket_roles={"requestors"})
    assert "ReplyToTicket" in rights_for(carol, queue="Other", ticket_roles={"requestors"})


def test_profile_round_trips_and_rights_on_reads_snapshots() -> None:
    grants = [("network", "group:netops", "ShowTicket"), ("*", "role:cc", "ResolveTicket")]
    actor = _with(STAFF, grants, ("netops",))
    profile = profile_of(actor)
    assert profile.managed == {"network"} and profile.role_managed == {"*"}
    state = {"queue": "Network", "owner": None,
             "watchers": {"requestors": [], "cc": ["carol@example.com"], "admincc": []}}
    assert rights_on(_with(CUSTOMER, grants), state) == {"ResolveTicket", "CreateTicket"}
    assert rights_on(actor, state) == {"ShowTicket"}
    assert profile_of(STAFF).own == {}
