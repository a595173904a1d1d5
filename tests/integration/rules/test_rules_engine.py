"""The rule engine on a real hub and bus: conditions, actions, templates, no double firing."""

from __future__ import annotations

from typing import Any

import pytest
from rules_support import (
    activities,
    define,
    deliveries,
    drain,
    engine_of,
    events_of,
    open_ticket,
    staff,
    state,
)

from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.db import projection_positions, writing
from hub.rules.engine import MAX_CHAIN, RuleEngine
from hub.tickets import commands as tc

COMMENT = [{"action": "comment", "template": "matched {{ ticket.id }}"}]
CUSTOMER = Actor(name="carol", email="customer@example.com", role="customer", source="web")


def fired(hub: Hub, ticket_id: int, rule: str = "r") -> list[dict[str, Any]]:
    return [a for a in activities(hub, ticket_id) if a["detail"]["rule"] == rule]


@pytest.mark.parametrize(("condition", "matching", "other"), [
    ({"queue": "General"}, {}, {"queue": "Other"}),
    ({"status": ["new", "open"]}, {}, {"status": "stalled"}),
    ({"priority_at_least": 50}, {"priority": 60}, {"priority": 10}),
    ({"owner": "nobody"}, {}, {"owner": "alice"}),
    ({"owner": "alice"}, {"owner": "alice"}, {}),
    ({"requestor_domain": "example.com"}, {}, {"requestors": ["x@elsewhere.org"]}),
    ({"cf": {"Severity": "high"}}, {"fields": {"Severity": "high"}},
     {"fields": {"Severity": "low"}}),
    ({"subject_contains": "DISK"}, {}, {"subject": "Printer jammed"}),
    ({"text_contains": "full"}, {}, {"subject": "Printer jammed"}),
])
def test_each_condition_decides(rhub: Hub, condition: dict[str, Any], matching: dict[str, Any],
                                other: dict[str, Any]) -> None:
    _queue(rhub, "Other")
    _severity_field(rhub)
    define(rhub, name="r", on="ticket.created", **{"if": condition}, do=COMMENT)
    yes = open_ticket(rhub, **{"subject": "Disk full on web-01", **matching})
    no = open_ticket(rhub, **{"subject": "Disk full on web-01", **other})
    drain(rhub)
    assert len(fired(rhub, yes)) == 1
    assert fired(rhub, no) == []
    assert [e.data["body"] for e in events_of(rhub, yes, "TicketCommented")] == [f"matched {yes}"]


def test_source_and_actor_conditions(rhub: Hub) -> None:
    define(rhub, name="r", on="TicketCreated", **{"if": {"source": "alert"}}, do=COMMENT)
    define(rhub, name="c", on="ticket.corresponded", **{"if": {"actor": "customer"}},
           do=COMMENT)
    alert = open_ticket(rhub, actor=system_actor("alert", "nagios"))
    web = open_ticket(rhub, actor=staff())
    rhub.bus.handle(tc.Correspond(ticket_id=web, body="from the customer"), CUSTOMER)
    rhub.bus.handle(tc.Correspond(ticket_id=web, body="from staff"), staff())
    drain(rhub)
    assert len(fired(rhub, alert)) == 1 and fired(rhub, web) == []
    assert len(fired(rhub, web, "c")) == 1


def test_set_and_escalate_change_the_ticket(rhub: Hub) -> None:
    _queue(rhub, "Escalated")
    define(rhub, name="r", on="ticket.created", do=[
        {"action": "set", "status": "open", "owner": "alice", "priority": 40},
        {"action": "escalate", "priority": "+15", "queue": "Escalated"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    now = state(rhub, ticket)
    assert (now["status"], now["owner"], now["priority"], now["queue"]) == (
        "open", "alice", 55, "Escalated")
    summary = fired(rhub, ticket)[0]["summary"]
    assert "set status open" in summary and "escalated queue Escalated, priority 55" in summary
    changes = events_of(rhub, ticket, "TicketPriorityChanged")
    assert {e.meta["actor"] for e in changes} == {"rule:r"}


def test_correspond_reaches_the_requestor_and_a_refused_action_is_recorded(rhub: Hub) -> None:
    define(rhub, name="r", on="ticket.created", template="We got {{ ticket.subject }}.", do=[
        {"action": "set", "status": "no-such-status"},
        {"action": "correspond"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    replies = events_of(rhub, ticket, "TicketCorresponded")
    assert [e.data["body"] for e in replies] == ["We got Disk full on web-01."]
    firing = fired(rhub, ticket)[0]
    assert firing["detail"]["failed"] is True
    assert "set failed" in firing["summary"] and "replied to the requestors" in firing["summary"]


def test_a_public_reply_never_carries_a_private_comment(rhub: Hub) -> None:
    define(rhub, name="r", on="ticket.commented", template="Update: [{{ event.body }}]",
           do=[{"action": "correspond"}])
    ticket = open_ticket(rhub)
    rhub.bus.handle(tc.Comment(ticket_id=ticket, body="vendor price is 4200 EUR"), staff())
    drain(rhub)
    replies = [e.data["body"] for e in events_of(rhub, ticket, "TicketCorresponded")]
    assert len(replies) == 1 and "4200" not in replies[0], replies


def test_notify_roles_users_and_groups_through_channels(rhub: Hub) -> None:
    from hub.accounts import commands as ac

    rhub.bus.handle(ac.CreateGroup(name="noc"), system_actor("cli"))
    rhub.bus.handle(ac.ChangeGroupMember(group="noc", user="bob"), system_actor("cli"))
    define(rhub, name="r", on="ticket.created", do=[{
        "action": "notify", "to": ["requestors", "owner", "user:alice", "group:noc"],
        "subject": "New: {{ ticket.subject }}", "template": "Ticket {{ ticket.id }} opened"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    sent = {(d["via"], d["user"] or d["address"]) for d in deliveries(rhub, ticket)}
    assert sent == {("mail", "customer@example.com"), ("mail", "alice"), ("mail", "bob")}
    summary = fired(rhub, ticket)[0]["summary"]
    assert "owner: nobody to notify" in summary and "user:alice by mail" in summary


def test_templates_are_sandboxed(rhub: Hub) -> None:
    assert rhub.settings.secret_key == "test-secret"  # the hub has one; no template reaches it
    define(rhub, name="r", on="ticket.created", do=[
        {"action": "comment", "template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
        {"action": "comment", "template": (
            "A{{ config }}B{{ settings }}C{{ ticket.__class__ }}D{{ cycler }}{{ lipsum }}"
            "{{ namespace }}E{{ ticket.subject }}")},
    ])
    ticket = open_ticket(rhub)
    drain(rhub)
    bodies = [e.data["body"] for e in events_of(rhub, ticket, "TicketCommented")]
    assert bodies == ["ABCDEDisk full on web-01"]
    firing = fired(rhub, ticket)[0]
    assert "comment failed" in firing["summary"] and "unsafe" in firing["summary"]
    assert "test-secret" not in str(firing)


def test_a_template_the_sandbox_stops_is_a_failed_action(rhub: Hub) -> None:
    define(rhub, name="r", on="ticket.created", do=[
        {"action": "comment", "template": "{{ range(10**6)|list }}"},
        {"action": "comment", "template": "{{ 'x' * 10000000 }}"},
        {"action": "comment", "template": "still here"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    assert [e.data["body"] for e in events_of(rhub, ticket, "TicketCommented")] == ["still here"]
    assert fired(rhub, ticket)[0]["summary"].count("comment failed") == 2


def test_no_double_firing_after_a_restart_and_replay(any_rhub: Hub) -> None:
    rhub = any_rhub
    define(rhub, name="r", on="ticket.created", do=[
        {"action": "correspond", "template": "hello"},
        {"action": "notify", "to": "user:alice"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    with writing(rhub.engine) as conn:  # a restart that lost its position replays it all
        conn.execute(projection_positions.update()
                     .where(projection_positions.c.name == "reactor:rules").values(position=0))
    drain(rhub, RuleEngine())
    assert len(fired(rhub, ticket)) == 1
    assert len(events_of(rhub, ticket, "TicketCorresponded")) == 1
    assert len(deliveries(rhub, ticket)) == 1


def test_a_rule_never_answers_itself_and_chains_stop(rhub: Hub) -> None:
    define(rhub, name="bump", on="ticket.priority_changed",
           do=[{"action": "escalate", "priority": "+1"}])
    define(rhub, name="echo", on="ticket.priority_changed",
           do=[{"action": "escalate", "priority": "+1"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    rhub.bus.handle(tc.UpdateTicket(ticket_id=ticket, priority=10), staff())
    drain(rhub)
    changes = events_of(rhub, ticket, "TicketPriorityChanged")
    # each rule answers the other's change, never its own, until the chain is MAX_CHAIN long
    assert 1 < len(changes) <= 1 + 2 * MAX_CHAIN
    assert state(rhub, ticket)["priority"] == 10 + len(changes) - 1


def test_sla_breach_on_an_alert_ticket_pages_the_on_call_engineer(rhub: Hub) -> None:
    from hub.oncall import commands as oc

    rhub.bus.handle(oc.SaveSchedule(name="ops", document={
        "timezone": "UTC", "rotation": {"users": ["alice"], "shift": "1w",
                                        "start": "2020-01-06T00:00:00Z"}}), system_actor("cli"))
    define(rhub, name="page-on-breach", on="sla.breach", **{"if": {"source": "alert"}},
           do=[{"action": "notify", "to": "schedule:ops"}])
    alert = open_ticket(rhub, "web-01/HTTP CRITICAL", actor=system_actor("alert", "nagios"))
    quiet = open_ticket(rhub, "a question")
    for ticket in (alert, quiet):
        rhub.bus.handle(tc.RecordTicketActivity(ticket_id=ticket, kind="sla.breach",
                                                summary="response SLA breached",
                                                detail={"clock": "response"}),
                        system_actor("scheduler", "sla"), idempotency_key=f"sla:{ticket}")
    drain(rhub)
    assert fired(rhub, quiet, "page-on-breach") == []
    assert "paged schedule:ops" in fired(rhub, alert, "page-on-breach")[0]["summary"]
    from hub.oncall.queries import pages_for_ticket

    with rhub.engine.connect() as conn:
        paged = pages_for_ticket(conn, system_actor(), alert)
        assert pages_for_ticket(conn, system_actor(), quiet) == []
    assert [p["state"] for p in paged] == ["triggered"]


def test_disabled_rules_do_not_fire_and_order_is_kept(rhub: Hub) -> None:
    define(rhub, name="later", on="ticket.created", order=20,
           do=[{"action": "comment", "template": "second"}])
    define(rhub, name="first", on="ticket.created", order=10,
           do=[{"action": "comment", "template": "first"}])
    define(rhub, name="off", on="ticket.created", enabled=False,
           do=[{"action": "comment", "template": "never"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    assert [e.data["body"] for e in events_of(rhub, ticket, "TicketCommented")] == [
        "first", "second"]
    assert engine_of(rhub).name == "rules"


def _queue(hub: Hub, name: str) -> None:
    hub.bus.handle(tc.CreateQueue(name=name), system_actor("cli"))


def _severity_field(hub: Hub) -> None:
    hub.bus.handle(tc.ChangeQueue(name="General", changes={"custom_fields": [
        {"name": "Severity", "type": "select", "values": ["low", "high"]}]}), system_actor("cli"))
