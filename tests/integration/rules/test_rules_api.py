"""The rules and reminders API: admins write, staff read, validation names the field,
and outsiders and customers get nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from hub_support import add_user, make_token
from rules_support import open_ticket

from hub import create_app
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.tickets import commands as tc

RULE = {"name": "triage", "on": "ticket.created", "if": {"queue": "General"},
        "do": [{"action": "comment", "template": "New: {{ ticket.subject }}"}]}


class Api:
    def __init__(self, client: FlaskClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def __call__(self, who: str | None, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(path, method=method, json=body, headers=headers)


@pytest.fixture
def api(rhub: Hub) -> Iterator[Api]:
    add_user(rhub, "root", "admin")
    tokens = {name: make_token(rhub, name) for name in ("root", "alice", "carol")}
    yield Api(create_app(rhub).test_client(), tokens)


def test_admin_defines_changes_and_deletes_a_rule(api: Api) -> None:
    made = api("root", "POST", "/api/v1/rules", RULE)
    assert made.status_code == 201, made.json
    assert made.json["on"] == "TicketCreated" and made.json["enabled"] is True
    assert api("root", "POST", "/api/v1/rules", RULE).status_code == 409
    got = api("alice", "GET", "/api/v1/rules/triage")
    assert got.status_code == 200 and got.json["firings"] == []
    assert [r["name"] for r in api("alice", "GET", "/api/v1/rules").json["rules"]] == ["triage"]
    patched = api("root", "PATCH", "/api/v1/rules/triage", {"enabled": False, "order": 5})
    assert patched.status_code == 200 and (patched.json["enabled"], patched.json["order"]) == (
        False, 5)
    assert patched.json["do"] == made.json["do"]
    put = api("root", "PUT", "/api/v1/rules/other", {**RULE, "name": "other"})
    assert put.status_code == 201
    replaced = api("root", "PUT", "/api/v1/rules/other", {**RULE, "on": "sla.breach"})
    assert replaced.status_code == 422 and replaced.json["field"] == "name"  # body names another
    replaced = api("root", "PUT", "/api/v1/rules/other", {**RULE, "name": "other",
                                                          "on": "sla.breach"})
    assert replaced.status_code == 200 and replaced.json["on"] == "sla.breach"
    assert api("root", "DELETE", "/api/v1/rules/triage").status_code == 200
    assert api("root", "DELETE", "/api/v1/rules", {"name": "other"}).status_code == 200
    assert api("alice", "GET", "/api/v1/rules/triage").status_code == 404
    assert api("root", "POST", "/api/v1/rules", RULE).status_code == 201  # defined anew


@pytest.mark.parametrize(("change", "field"), [
    ({"on": "TicketExploded"}, "on"),
    ({"on": "ticket.idle"}, "for"),
    ({"if": {"colour": "red"}}, "if.colour"),
    ({"if": {"priority_at_least": 200}}, "if.priority_at_least"),
    ({"do": [{"action": "launch"}]}, "do[0].action"),
    ({"do": [{"action": "comment", "template": "{% if %}"}]}, "do[0].template"),
    ({"do": [{"action": "notify", "to": "somebody"}]}, "do[0].to"),
    ({"do": [{"action": "notify", "to": "owner", "via": "pigeon"}]}, "do[0].via"),
    ({"do": [{"action": "webhook", "url": "ftp://x"}]}, "do[0].url"),
    ({"do": [{"action": "set", "colour": "red"}]}, "do[0].colour"),
    ({"template": "{{ unclosed"}, "template"),
    ({"name": "bad name!"}, "name"),
    ({"do": []}, "do"),
])
def test_bad_rules_are_refused_naming_the_field(api: Api, change: dict[str, Any],
                                                field: str) -> None:
    answer = api("root", "POST", "/api/v1/rules", {**RULE, **change})
    assert answer.status_code == 422, answer.json
    assert answer.json["field"] == field


def test_both_spellings_of_an_event_type_are_accepted(api: Api) -> None:
    for name, on in (("a", "TicketStatusChanged"), ("b", "ticket.status_changed")):
        answer = api("root", "POST", "/api/v1/rules", {**RULE, "name": name, "on": on})
        assert answer.json["on"] == "TicketStatusChanged"


def test_not_valid_json_is_a_400(api: Api) -> None:
    answer = api.client.post("/api/v1/rules", data="{nope", headers={
        "Authorization": f"Bearer {api.tokens['root']}"})
    assert answer.status_code == 400 and "error" in answer.json


def test_outsiders_and_customers_cannot_read_or_write_rules(api: Api) -> None:
    api("root", "POST", "/api/v1/rules", RULE)
    for method, path, body in (("GET", "/api/v1/rules", None),
                               ("GET", "/api/v1/rules/triage", None),
                               ("POST", "/api/v1/rules", {**RULE, "name": "x"}),
                               ("PATCH", "/api/v1/rules/triage", {"enabled": False}),
                               ("DELETE", "/api/v1/rules/triage", None)):
        assert api(None, method, path, body).status_code == 401
        assert api("carol", method, path, body).status_code == 403
    for method, path, body in (("POST", "/api/v1/rules", {**RULE, "name": "x"}),
                               ("PATCH", "/api/v1/rules/triage", {"enabled": False}),
                               ("PUT", "/api/v1/rules/triage", RULE),
                               ("DELETE", "/api/v1/rules/triage", None)):
        assert api("alice", method, path, body).status_code == 403  # staff read only
    assert api("root", "GET", "/api/v1/rules/triage").json["enabled"] is True


def test_reminders_through_the_api(rhub: Hub, api: Api) -> None:
    ticket = open_ticket(rhub)
    made = api("alice", "POST", f"/api/v1/tickets/{ticket}/reminders",
               {"in": "2h", "note": "call the DC"})
    assert made.status_code == 201, made.json
    assert made.json["state"] == "pending" and made.json["by"] == "alice"
    at = api("root", "POST", f"/api/v1/tickets/{ticket}/reminders",
             {"at": "2099-01-01T09:00:00Z"})
    assert at.status_code == 422 and at.json["field"] == "at"  # more than a year ahead
    listed = api("alice", "GET", f"/api/v1/tickets/{ticket}/reminders").json["reminders"]
    assert [(r["id"], r["note"]) for r in listed] == [(made.json["id"], "call the DC")]
    for bad, field in (({"in": "soon"}, "in"), ({}, "in"), ({"at": "yesterday"}, "at"),
                       ({"at": "2001-01-01T00:00:00Z"}, "at")):
        answer = api("alice", "POST", f"/api/v1/tickets/{ticket}/reminders", bad)
        assert answer.status_code == 422 and answer.json["field"] == field
    assert api("alice", "POST", f"/api/v1/tickets/{ticket}/reminders",
               {"in": "2h", "when": 1}).status_code == 400
    gone = api("alice", "DELETE", f"/api/v1/tickets/{ticket}/reminders/{made.json['id']}")
    assert gone.status_code == 200 and gone.json["state"] == "cancelled"
    again = api("alice", "DELETE", f"/api/v1/tickets/{ticket}/reminders/{made.json['id']}")
    assert again.status_code == 409
    assert api("alice", "DELETE", f"/api/v1/tickets/{ticket}/reminders/nope").status_code == 404


def test_customers_and_outsiders_get_nothing_from_reminders(rhub: Hub, api: Api) -> None:
    ticket = open_ticket(rhub)  # carol (customer@example.com) is its requestor
    made = api("alice", "POST", f"/api/v1/tickets/{ticket}/reminders", {"in": "1h"}).json
    path = f"/api/v1/tickets/{ticket}/reminders"
    for who, status in ((None, 401), ("carol", 403)):
        assert api(who, "GET", path).status_code == status
        assert api(who, "POST", path, {"in": "1h"}).status_code == status
        assert api(who, "DELETE", f"{path}/{made['id']}").status_code == status
    assert api("alice", "GET", "/api/v1/tickets/999/reminders").status_code == 404
    assert api("carol", "GET", "/api/v1/tickets/999/reminders").status_code == 404
    assert [r["id"] for r in api("alice", "GET", path).json["reminders"]] == [made["id"]]


def test_staff_who_may_not_see_the_ticket_get_nothing(rhub: Hub, api: Api) -> None:
    rhub.bus.handle(tc.CreateQueue(name="Secret"), system_actor("cli"))
    from hub.accounts import commands as ac

    rhub.bus.handle(ac.CreateGroup(name="insiders"), system_actor("cli"))
    rhub.bus.handle(ac.GrantRight(scope="Secret", principal="group:insiders",
                                   right="ShowTicket"),
                    system_actor("cli"))
    ticket = open_ticket(rhub, queue="Secret")
    path = f"/api/v1/tickets/{ticket}/reminders"
    assert api("alice", "GET", path).status_code == 404
    assert api("alice", "POST", path, {"in": "1h"}).status_code == 404
    assert api("root", "POST", path, {"in": "1h"}).status_code == 201


def test_the_ticket_page_offers_the_reminder_form_to_staff_only(rhub: Hub, api: Api) -> None:
    ticket = open_ticket(rhub)
    client = api.client
    page = client.get(f"/tickets/{ticket}")
    assert page.status_code in (302, 401) or b"Reminders" not in page.data
    _login(client, "alice")
    page = client.get(f"/tickets/{ticket}")
    assert b'id="h-reminders"' in page.data and b'name="csrf_token"' in page.data
    token = _csrf(page.data)
    answer = client.post(f"/tickets/{ticket}/reminders",
                         data={"in": "2h", "note": "from the form", "csrf_token": token})
    assert answer.status_code in (302, 303)
    assert b"from the form" in client.get(f"/tickets/{ticket}").data
    refused = client.post(f"/tickets/{ticket}/reminders", data={"in": "2h"})
    assert refused.status_code == 400  # no csrf token
    customer = create_app(rhub).test_client()
    _login(customer, "carol")
    assert b'id="h-reminders"' not in customer.get(f"/tickets/{ticket}").data
    assert customer.post(f"/tickets/{ticket}/reminders",
                         data={"in": "2h", "csrf_token": _csrf(
                             customer.get(f"/tickets/{ticket}").data)}).status_code == 403


def _csrf(html: bytes) -> str:
    marker = b'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index(b'"', start)].decode()


def _login(client: FlaskClient, user: str) -> None:
    form = client.get("/login")
    answer = client.post("/login", data={"username": user, "password": "password123",
                                         "csrf_token": _csrf(form.data)})
    assert answer.status_code in (302, 303), answer.data[:500]
