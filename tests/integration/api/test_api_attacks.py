"""Attacks on the ticket API as an attacker on loopback would run them against ``hub serve``.

Vector 4: a customer sets privileged fields at create (owner, status, priority,
AdminCc...) and, as AdminCc, would receive private comments by mail. Vector 10:
lone surrogates, deep nesting and out-of-range numbers answered with 500. And the
customer's view: nothing from any read path of a ticket that is not theirs, or
whose role grant was withdrawn. Each test also checks the legitimate path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from admin_support import Admin, running

from hub.tickets import queries as tq
from hub.tickets.tables import tickets


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with running(tmp_path_factory.mktemp("attacks")) as started:
        yield started


def _state(admin: Admin, ticket_id: int) -> dict[str, Any]:
    with admin.hub.engine.connect() as conn:
        return dict(conn.execute(sa.select(tickets.c.state)
                                 .where(tickets.c.id == ticket_id)).scalar_one())


# -- vector 4: privileged fields at create and update -----------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("owner", "admin"), ("status", "resolved"), ("status", "new"), ("priority", 99),
    ("priority", 0), ("due", "2030-01-01"), ("admincc", ["carol@example.com"]),
])
def test_a_customer_cannot_set_privileged_fields_at_create(admin: Admin, field: str,
                                                           value: Any) -> None:
    queue = admin.queue()
    customer = admin.user("customer")
    refused = admin.refused("POST", "/api/v1/tickets", customer, 403, json={
        "queue": queue, "subject": "let me in", field: value})
    assert refused["field"] == field
    assert admin.ok("GET", f"/api/v1/tickets?queue={queue}")["total"] == 0  # nothing created


def test_a_customer_cannot_name_other_requestors_or_set_internal_fields(admin: Admin) -> None:
    queue = admin.queue(custom_fields=[{"name": "cost", "type": "text", "internal": True},
                                       {"name": "host", "type": "text"}])
    customer = admin.user("customer")
    body = {"queue": queue, "subject": "for someone else"}
    assert admin.refused("POST", "/api/v1/tickets", customer, 403, json={
        **body, "requestors": ["victim@example.com"]})["field"] == "requestors"
    assert admin.refused("POST", "/api/v1/tickets", customer, 403, json={
        **body, "fields": {"cost": "0"}})["field"] == "fields.cost"
    # The legitimate path: herself as requestor, a colleague as Cc, a public field.
    ticket = admin.ok("POST", "/api/v1/tickets", customer, status=201, json={
        **body, "requestors": [f"{customer}@example.com"], "cc": ["colleague@example.com"],
        "fields": {"host": "web1"}})
    assert ticket["requestors"] == [f"{customer}@example.com"]
    assert ticket["status"] == "new" and ticket["owner"] is None and ticket["priority"] == 0
    assert _state(admin, ticket["id"])["watchers"]["cc"] == ["colleague@example.com"]


def test_staff_still_set_every_field_at_create(admin: Admin) -> None:
    queue = admin.queue()
    staff = admin.user("staff")
    ticket = admin.ok("POST", "/api/v1/tickets", staff, status=201, json={
        "queue": queue, "subject": "triaged", "owner": staff, "status": "open",
        "priority": 70, "admincc": ["boss@example.com"], "requestors": ["x@example.com"]})
    assert (ticket["owner"], ticket["status"], ticket["priority"]) == (staff, "open", 70)
    assert _state(admin, ticket["id"])["watchers"]["admincc"] == ["boss@example.com"]


@pytest.mark.parametrize(("field", "value"), [
    ("owner", "admin"), ("priority", 99), ("queue", "General"), ("subject", "mine now"),
    ("due", "2030-01-01"), ("status", "stalled"),
])
def test_a_customer_cannot_change_privileged_fields_of_her_own_ticket(
        admin: Admin, field: str, value: Any) -> None:
    queue = admin.queue()
    customer = admin.user("customer")
    ticket = admin.ok("POST", "/api/v1/tickets", customer, status=201,
                      json={"queue": queue, "subject": "mine"})
    path = f"/api/v1/tickets/{ticket['id']}"
    assert admin.refused("PATCH", path, customer, 403, json={field: value})["field"] == field
    assert admin.ok("GET", path)["version"] == ticket["version"]
    # RT lets a requestor resolve her own ticket: that still works.
    assert admin.ok("PATCH", path, customer, json={"status": "resolved"})["status"] == "resolved"


def test_a_customer_cannot_make_herself_admincc(admin: Admin) -> None:
    queue = admin.queue()
    customer = admin.user("customer")
    ticket = admin.ok("POST", "/api/v1/tickets", customer, status=201,
                      json={"queue": queue, "subject": "watch me"})
    admin.refused("POST", f"/api/v1/tickets/{ticket['id']}/watchers", customer, 403, json={
        "role": "admincc", "address": f"{customer}@example.com"})
    assert _state(admin, ticket["id"])["watchers"]["admincc"] == []


def test_only_people_with_show_ticket_comments_may_receive_comments(admin: Admin) -> None:
    """The notifier's question, through the one rights function: a customer made AdminCc
    by staff, or an outside address, never qualifies; the owner and staff do."""
    queue = admin.queue()
    customer, staff = admin.user("customer"), admin.user("staff")
    ticket = admin.ok("POST", "/api/v1/tickets", "admin", status=201, json={
        "queue": queue, "subject": "private notes", "owner": staff,
        "admincc": [f"{customer}@example.com", "outsider@elsewhere.example"],
        "requestors": [f"{customer}@example.com"]})
    state = _state(admin, ticket["id"])
    with admin.hub.engine.connect() as conn:
        assert not tq.may_receive_comments(conn, state, f"{customer}@example.com")
        assert not tq.may_receive_comments(conn, state, "Outsider@Elsewhere.example")
        assert tq.may_receive_comments(conn, state, f"{staff}@example.com")
        assert tq.may_receive_comments(conn, state, "admin@hub.test")


# -- vector 10: no 500 on odd input ---------------------------------------------------------


BAD_BODIES = [
    b'{"queue": "General", "subject": "\\ud800"}',
    b'{"queue": "General", "subject": "ok", "\\udfff": 1}',
    b'{"queue": "General", "subject": "x", "requestors": ["a\\udc00@example.com"]}',
    b"[" * 100000 + b"]" * 100000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"queue": "General", "subject": "x", "priority": 1e400}',
    b'{"queue": "General", "subject": "x", "priority": 123456789012345678901234567890}',
    b'{"queue": "General", "subject": "x", "priority": NaN}',
    b'{"queue": "General", "subject": "x", "priority": "' + b"9" * 5000 + b'"}',
]


@pytest.mark.parametrize("raw", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_odd_json_is_a_4xx_with_a_json_error(admin: Admin, raw: bytes) -> None:
    ticket = admin.ok("POST", "/api/v1/tickets", status=201,
                      json={"queue": "General", "subject": "target"})
    for method, path in (("POST", "/api/v1/tickets"),
                         ("PATCH", f"/api/v1/tickets/{ticket['id']}"),
                         ("POST", f"/api/v1/tickets/{ticket['id']}/correspond"),
                         ("POST", f"/api/v1/tickets/{ticket['id']}/comment")):
        r = admin.call(method, path, data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 422), (method, path, r.status_code, r.text[:200])
        assert isinstance(json.loads(r.text)["error"], str)
    assert admin.ok("GET", f"/api/v1/tickets/{ticket['id']}")["version"] == ticket["version"]


@pytest.mark.parametrize("raw", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_odd_json_to_the_alert_intake_is_a_4xx_too(admin: Admin, raw: bytes) -> None:
    for path in ("/api/v1/events/nagios", "/api/v1/events/alertmanager", "/api/v1/events",
                 "/api/v1/events/keepalived", "/api/v1/events/backuppc"):
        r = admin.call("POST", path, data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 422), (path, r.status_code, r.text[:200])
        assert isinstance(json.loads(r.text)["error"], str)


@pytest.mark.parametrize("as_of", [
    "99999999999999999999", "-1", "-99999999999999999999", "1e400", "nan",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "\ud800", "2026-13-45",
])
def test_out_of_range_as_of_is_422(admin: Admin, as_of: str) -> None:
    ticket = admin.ok("POST", "/api/v1/tickets", status=201,
                      json={"queue": "General", "subject": "history"})
    r = admin.call("GET", f"/api/v1/tickets/{ticket['id']}",
                   params={"as_of": as_of.encode("utf-8", "surrogatepass")})
    assert r.status_code == 422, r.text
    assert "as_of" in r.json()["error"]
    first = admin.ok("GET", f"/api/v1/tickets/{ticket['id']}/history")[0]["position"]
    then = admin.ok("GET", f"/api/v1/tickets/{ticket['id']}", params={"as_of": str(first)})
    assert then["subject"] == "history"


@pytest.mark.parametrize("path", [
    "/api/v1/tickets/99999999999999999999", "/api/v1/tickets/9223372036854775808/history",
    "/api/v1/tickets/-1", "/api/v1/tickets/0", "/api/v1/tickets/1e9",
    "/api/v1/tickets?limit=99999999999999999999", "/api/v1/tickets?offset=-1",
    "/api/v1/tickets?limit=%ED%A0%80",
])
def test_out_of_range_numbers_in_paths_and_queries_are_4xx(admin: Admin, path: str) -> None:
    r = admin.call("GET", path)
    assert r.status_code in (400, 404, 422), (path, r.status_code)
    assert isinstance(r.json()["error"], str)


# -- the customer's and the outsider's view -------------------------------------------------


def _read_paths(ticket_id: int, first_position: int) -> list[str]:
    return [f"/api/v1/tickets/{ticket_id}", f"/api/v1/tickets/{ticket_id}/history",
            f"/api/v1/tickets/{ticket_id}?as_of={first_position}",
            f"/api/v1/tickets/{ticket_id}?as_of=2999-01-01T00:00:00Z"]


def test_a_customer_gets_nothing_of_a_ticket_that_is_not_hers(admin: Admin) -> None:
    queue = admin.queue()
    owner, other = admin.user("customer"), admin.user("customer")
    ticket = admin.ok("POST", "/api/v1/tickets", owner, status=201, json={
        "queue": queue, "subject": "zebracorn outage", "body": "secret body"})
    admin.ok("POST", f"/api/v1/tickets/{ticket['id']}/comment", status=201,
             json={"body": "zebracorn internal"})
    first = admin.ok("GET", f"/api/v1/tickets/{ticket['id']}/history")[0]["position"]
    for path in _read_paths(ticket["id"], first):
        assert admin.call("GET", path, owner).status_code == 200, path
        r = admin.call("GET", path, other)
        assert r.status_code == 404, path
        assert "zebracorn" not in r.text
    for query in ("q=zebracorn", f"queue={queue}", f"requestor={owner}@example.com"):
        assert admin.ok("GET", f"/api/v1/tickets?{query}", other) == {"tickets": [], "total": 0}
        mine = admin.ok("GET", f"/api/v1/tickets?{query}", owner)
        assert [t["id"] for t in mine["tickets"]] == [ticket["id"]]
    history = admin.call("GET", f"/api/v1/tickets/{ticket['id']}/history", owner)
    assert "zebracorn internal" not in history.text  # the owner never sees comments
    assert admin.call("GET", f"/api/v1/tickets/{ticket['id']}", None).status_code == 401


def test_a_withdrawn_role_grant_ends_the_cc_customers_view(admin: Admin) -> None:
    queue = admin.queue()
    cc = admin.user("customer")
    ticket = admin.ok("POST", "/api/v1/tickets", status=201, json={
        "queue": queue, "subject": "quokkafire", "requestors": ["someone@example.com"]})
    admin.ok("POST", f"/api/v1/tickets/{ticket['id']}/watchers", json={
        "role": "cc", "address": f"{cc}@example.com"})
    first = admin.ok("GET", f"/api/v1/tickets/{ticket['id']}/history")[0]["position"]
    for path in _read_paths(ticket["id"], first):
        assert admin.call("GET", path, cc).status_code == 200, path
    # Role grants on the queue replace the defaults: grant Cc only SeeQueue.
    admin.ok("POST", "/api/v1/grants", status=201,
             json={"right": "SeeQueue", "queue": queue, "to": "role:cc"})
    for path in _read_paths(ticket["id"], first):
        r = admin.call("GET", path, cc)
        assert r.status_code == 404 and "quokkafire" not in r.text, path
    assert admin.ok("GET", "/api/v1/tickets?q=quokkafire", cc) == {"tickets": [], "total": 0}
    # Granting ShowTicket back to the role restores it.
    admin.ok("POST", "/api/v1/grants", status=201,
             json={"right": "ShowTicket", "queue": queue, "to": "role:cc"})
    assert admin.call("GET", f"/api/v1/tickets/{ticket['id']}", cc).status_code == 200
