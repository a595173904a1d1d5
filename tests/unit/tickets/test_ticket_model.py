"""Given events / when command / then events, for the Ticket aggregate."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from hub.accounts.queries import rights_for
from hub.actors import Actor
from hub.domain import PermissionDeniedError, StateConflictError, ValidationError
from hub.eventstore import StoredEvent
from hub.tickets.fields import FieldSpec
from hub.tickets.lifecycle import DEFAULT_LIFECYCLE
from hub.tickets.model import Ticket
from hub.tickets.queues import QueueSpec

QUEUE = QueueSpec("General", custom_fields=(
    FieldSpec("Severity", "select", ("low", "high")),
    FieldSpec("Hosts", "integer"),
))
STAFF = Actor("alice", "alice@example.com", "staff", "api")
STAFF = STAFF.with_rights(rights_for(STAFF))
ADMIN = Actor("root", "root@example.com", "admin", "api")
CUSTOMER = Actor("carol", "carol@example.com", "customer", "web")
OTHER_CUSTOMER = Actor("dave", "dave@example.com", "customer", "web")
NOW = dt.datetime(2026, 1, 1)
CREATED = ("TicketCreated", {
    "queue": "General", "subject": "Disk full", "body": "help", "content_type": "text/plain",
    "status": "new", "priority": 10, "due": None, "requestors": ["carol@example.com"],
    "cc": [], "admincc": [], "fields": {}, "owner": None})


def given(*events: tuple[str, dict[str, Any]]) -> Ticket:
    ticket = Ticket("7")
    ticket.replay(StoredEvent(position=n, stream_id="ticket-7", version=n, type=t,
                              schema_version=1, data=d, meta={}, at=NOW)
                  for n, (t, d) in enumerate(events, start=1))
    return ticket


def as_customer(ticket: Ticket, actor: Actor = CUSTOMER) -> Actor:
    return actor.with_rights(rights_for(actor, ticket_roles=ticket.roles_of(actor)))


def then(ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.data) for e in ticket.pending]


def status(name: str) -> tuple[str, dict[str, Any]]:
    return ("TicketStatusChanged", {"old": "new", "new": name})


# -- creation --------------------------------------------------------------------------
def test_create_records_one_event_with_clean_values() -> None:
    ticket = Ticket("1")
    ticket.create(STAFF, QUEUE, subject="  Disk full ", body="b", requestors=["Carol@Example.com"],
                  priority="20", fields={"Severity": "high", "Hosts": "3"})
    [(kind, data)] = then(ticket)
    assert kind == "TicketCreated"
    assert data["subject"] == "Disk full"
    assert data["requestors"] == ["carol@example.com"]
    assert data["priority"] == 20 and data["status"] == "new"
    assert data["fields"] == {"Severity": "high", "Hosts": 3}


@pytest.mark.parametrize("kwargs, message", [
    ({"subject": ""}, "subject"),
    ({"subject": "x", "priority": 100}, "priority"),
    ({"subject": "x", "priority": -1}, "priority"),
    ({"subject": "x", "priority": True}, "priority"),
    ({"subject": "x", "requestors": ["not-an-address"]}, "email"),
    ({"subject": "x", "fields": {"Severity": "medium"}}, "Severity"),
    ({"subject": "x", "fields": {"Nope": 1}}, "no custom field"),
    ({"subject": "x", "fields": {"Hosts": "many"}}, "Hosts"),
    ({"subject": "x", "status": "frozen"}, "status"),
    ({"subject": "x", "due": "next tuesday"}, "due"),
])
def test_create_refuses_bad_values(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Ticket("1").create(STAFF, QUEUE, **kwargs)


def test_required_field_is_enforced_on_create() -> None:
    queue = QueueSpec("Ops", custom_fields=(FieldSpec("Host", required=True),))
    with pytest.raises(ValidationError, match="required"):
        Ticket("1").create(STAFF, queue, subject="x")


def test_customer_may_not_create_where_queue_forbids() -> None:
    closed = QueueSpec("Internal", customers_may_create=False)
    actor = CUSTOMER.with_rights(rights_for(CUSTOMER, customers_may_create=False))
    with pytest.raises(PermissionDeniedError):
        Ticket("1").create(actor, closed, subject="x")


def test_customer_creating_becomes_requestor() -> None:
    ticket = Ticket("1")
    ticket.create(CUSTOMER.with_rights(rights_for(CUSTOMER)), QUEUE, subject="x")
    assert then(ticket)[0][1]["requestors"] == ["carol@example.com"]


# -- the lifecycle ---------------------------------------------------------------------
ALL = DEFAULT_LIFECYCLE.statuses


@pytest.mark.parametrize("source, target",
                         [(a, b) for a, b in itertools.product(ALL, ALL) if a != b])
def test_every_default_transition_is_allowed_for_admin(source: str, target: str) -> None:
    ticket = given(CREATED, ("TicketStatusChanged", {"old": "new", "new": source}))
    ticket.change_status(ADMIN, QUEUE, target)
    assert then(ticket) == [("TicketStatusChanged",
                             {"old": source, "new": target, "forced": False})]


@pytest.mark.parametrize("target", [s for s in ALL if s != "new"])
def test_staff_needs_delete_right_only_for_deleted(target: str) -> None:
    ticket = given(CREATED)
    if target == "deleted":
        with pytest.raises(PermissionDeniedError, match="DeleteTicket"):
            ticket.change_status(STAFF, QUEUE, target)
        assert then(ticket) == []
    else:
        ticket.change_status(STAFF, QUEUE, target)
        assert then(ticket)[0][1]["new"] == target


@pytest.mark.parametrize("target, allowed", [
    ("resolved", True), ("open", False), ("stalled", False), ("rejected", False),
    ("deleted", False)])
def test_requestor_may_only_resolve_own_ticket(target: str, allowed: bool) -> None:
    ticket = given(CREATED)
    actor = as_customer(ticket)
    if allowed:
        ticket.change_status(actor, QUEUE, target)
        assert then(ticket)[0][1]["new"] == target
    else:
        with pytest.raises(PermissionDeniedError):
            ticket.change_status(actor, QUEUE, target)


def test_other_customer_cannot_resolve() -> None:
    ticket = given(CREATED)
    with pytest.raises(PermissionDeniedError):
        ticket.change_status(as_customer(ticket, OTHER_CUSTOMER), QUEUE, "resolved")


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown status"):
        given(CREATED).change_status(ADMIN, QUEUE, "frozen")


def test_same_status_records_nothing() -> None:
    ticket = given(CREATED)
    ticket.change_status(ADMIN, QUEUE, "new")
    assert then(ticket) == []


def test_custom_lifecycle_refuses_moves_it_does_not_list() -> None:
    from hub.tickets.lifecycle import Lifecycle

    cycle = Lifecycle.from_dict({
        "name": "incident", "initial": ["new"], "active": ["investigating"],
        "inactive": ["resolved"],
        "transitions": {"new": ["investigating"], "investigating": ["resolved"],
                        "resolved": ["investigating"]},
        "reopen_to": "investigating", "open_on_reply": "investigating"})
    queue = QueueSpec("Incidents", lifecycle=cycle)
    ticket = given(CREATED)
    with pytest.raises(StateConflictError, match="cannot move"):
        ticket.change_status(ADMIN, queue, "resolved")
    ticket.change_status(ADMIN, queue, "investigating")
    assert ticket.status == "investigating"


def test_open_dependencies_block_resolution_unless_forced() -> None:
    ticket = given(CREATED)
    with pytest.raises(StateConflictError, match="depends on open"):
        ticket.change_status(STAFF, QUEUE, "resolved", open_dependencies=[9])
    ticket.change_status(STAFF, QUEUE, "resolved", open_dependencies=[9], force=True)
    assert then(ticket) == [("TicketStatusChanged",
                             {"old": "new", "new": "resolved", "forced": True})]


# -- automatic moves on replies --------------------------------------------------------
def test_staff_reply_opens_a_new_ticket() -> None:
    ticket = given(CREATED)
    ticket.correspond(STAFF, QUEUE, "on it")
    assert [t for t, _ in then(ticket)] == ["TicketCorresponded", "TicketStatusChanged"]
    assert ticket.status == "open"


def test_requestor_reply_reopens_a_resolved_ticket() -> None:
    ticket = given(CREATED, status("resolved"))
    ticket.correspond(as_customer(ticket), QUEUE, "still broken")
    assert then(ticket)[-1] == ("TicketStatusChanged", {
        "old": "resolved", "new": "open", "reason": "requestor replied"})


def test_reply_to_resolved_ticket_does_not_reopen_when_policy_is_new_ticket() -> None:
    queue = QueueSpec("General", reopen_policy="new_ticket")
    ticket = given(CREATED, status("resolved"))
    ticket.correspond(as_customer(ticket), queue, "thanks")
    assert [t for t, _ in then(ticket)] == ["TicketCorresponded"]


def test_requestor_reply_to_open_ticket_changes_no_status() -> None:
    ticket = given(CREATED, status("open"))
    ticket.correspond(as_customer(ticket), QUEUE, "more info")
    assert [t for t, _ in then(ticket)] == ["TicketCorresponded"]


def test_stranger_cannot_reply_or_comment() -> None:
    ticket = given(CREATED)
    with pytest.raises(PermissionDeniedError):
        ticket.correspond(as_customer(ticket, OTHER_CUSTOMER), QUEUE, "hi")
    with pytest.raises(PermissionDeniedError):
        ticket.comment(as_customer(ticket), "internal?")


def test_empty_body_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        given(CREATED).comment(STAFF, "   ")


# -- ownership -------------------------------------------------------------------------
def test_take_untake_steal_assign() -> None:
    ticket = given(CREATED)
    ticket.set_owner(STAFF, "alice", how="take")
    bob = Actor("bob", "bob@example.com", "staff", "web")
    bob = bob.with_rights(rights_for(bob))
    ticket.set_owner(bob, "bob", how="take")  # taking an owned ticket is a steal
    ticket.set_owner(bob, None, how="untake")
    ticket.set_owner(STAFF, "bob", how="assign")
    assert [(d["new"], d["how"]) for _, d in then(ticket)] == [
        ("alice", "take"), ("bob", "steal"), (None, "untake"), ("bob", "assign")]


def test_customer_cannot_take_and_nobody_may_own_without_right() -> None:
    ticket = given(CREATED)
    with pytest.raises(PermissionDeniedError, match="TakeTicket"):
        ticket.set_owner(as_customer(ticket), "carol", how="take")
    with pytest.raises(ValidationError, match="may not own"):
        ticket.set_owner(STAFF, "carol", how="assign", new_owner_may_own=False)


def test_untake_of_someone_elses_ticket_needs_modify() -> None:
    ticket = given(CREATED, ("TicketOwnerChanged", {"old": None, "new": "bob", "how": "take"}))
    weak = Actor("eve", "eve@example.com", "staff", "web", frozenset({"TakeTicket"}))
    with pytest.raises(PermissionDeniedError):
        ticket.set_owner(weak, None, how="untake")


# -- other changes ---------------------------------------------------------------------
def test_priority_due_subject_fields_watchers_time() -> None:
    ticket = given(CREATED)
    ticket.set_priority(STAFF, 80)
    ticket.set_due(STAFF, "2026-12-01T10:00:00+01:00")
    ticket.set_subject(STAFF, "Disk really full")
    ticket.set_fields(STAFF, QUEUE, {"Severity": "low"})
    ticket.watch(STAFF, "cc", "Boss@Example.com")
    ticket.record_time(STAFF, 15)
    assert [t for t, _ in then(ticket)] == [
        "TicketPriorityChanged", "TicketDueChanged", "TicketSubjectChanged",
        "TicketFieldChanged", "TicketWatcherAdded", "TimeWorkedRecorded"]
    assert ticket.due == "2026-12-01T09:00:00"
    assert ticket.watchers["cc"] == ["boss@example.com"]
    assert ticket.time_worked == {"alice": 15}


def test_watcher_becomes_able_to_see_and_reply() -> None:
    ticket = given(CREATED, ("TicketWatcherAdded", {"role": "cc", "address": "dave@example.com"}))
    ticket.correspond(as_customer(ticket, OTHER_CUSTOMER), QUEUE, "me too")
    assert then(ticket)[0][0] == "TicketCorresponded"


def test_time_worked_must_be_whole_non_zero_minutes() -> None:
    for bad in (0, 1.5, "10", True, 20_000):
        with pytest.raises(ValidationError):
            given(CREATED).record_time(STAFF, bad)


def test_move_keeps_status_when_target_lifecycle_knows_it() -> None:
    ticket = given(CREATED, status("open"))
    ticket.move(STAFF, QueueSpec("Network"), target_may_create=True)
    assert ticket.queue == "Network" and ticket.status == "open"
    assert ticket.fields == {}


def test_move_needs_create_right_in_target() -> None:
    with pytest.raises(PermissionDeniedError):
        given(CREATED).move(STAFF, QueueSpec("Secret"), target_may_create=False)


# -- links and merge -------------------------------------------------------------------
def test_link_and_unlink() -> None:
    ticket = given(CREATED)
    ticket.link(STAFF, "depends_on", 9)
    ticket.link(STAFF, "depends_on", 9)  # twice: recorded once
    ticket.link(STAFF, "depends_on", 9, add=False)
    assert [t for t, _ in then(ticket)] == ["TicketLinked", "TicketUnlinked"]
    with pytest.raises(ValidationError):
        ticket.link(STAFF, "depends_on", 7)
    with pytest.raises(ValidationError):
        ticket.link(STAFF, "likes", 9)


def test_merge_moves_watchers_and_time_to_survivor_and_freezes_source() -> None:
    source = given(CREATED, ("TimeWorkedRecorded", {"user": "alice", "minutes": 5}))
    survivor = Ticket("8")
    survivor.replay([StoredEvent(1, "ticket-8", 1, "TicketCreated", 1,
                                 {**CREATED[1], "requestors": ["x@example.com"]}, {}, NOW)])
    source.merge_into(STAFF, survivor)
    assert source.merged_into == 8
    assert survivor.requestors == ["x@example.com", "carol@example.com"]
    assert survivor.time_worked == {"alice": 5}
    with pytest.raises(StateConflictError, match="merged"):
        source.comment(STAFF, "late")
    with pytest.raises(ValidationError):
        survivor.merge_into(STAFF, survivor)


def test_commands_on_missing_ticket_conflict() -> None:
    with pytest.raises(StateConflictError, match="does not exist"):
        Ticket("99").comment(STAFF, "x")


def test_replay_gives_the_same_state_as_recording() -> None:
    recorded = Ticket("5")
    recorded.create(STAFF, QUEUE, subject="x", requestors=["carol@example.com"])
    recorded.correspond(STAFF, QUEUE, "hello")
    recorded.set_priority(STAFF, 42)
    replayed = Ticket("5")
    replayed.replay(StoredEvent(n, "ticket-5", n, e.type, 1, e.data, {}, NOW)
                    for n, e in enumerate(recorded.pending, start=1))
    for attribute in ("queue", "subject", "status", "priority", "watchers", "fields"):
        assert getattr(replayed, attribute) == getattr(recorded, attribute)
