"""What outsiders, customers and staff without rights on a queue get from the automation
endpoints and pages (SLA calendars and reports, rules, reminders, on-call, pages,
deliveries, contacts, SMS inbound, TOTP): nothing they may not see, and never a 500 for
a malformed body.

A managed queue ``NOC`` is seen by the group ``noc`` (ann) only; ``eve`` is staff
without any right there; ``cus`` is a customer. The reactors run by hand.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from hub_support import add_user, make_hub, make_token

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.reactors import run_once

NOC_RIGHTS = ["SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
              "ShowTicketComments", "ModifyTicket", "OwnTicket", "ResolveTicket"]
OK_REFUSALS = {400, 401, 403, 404, 405, 409, 413, 415, 422}


class Desk:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.client: FlaskClient = create_app(hub).test_client()
        for name, role in [("ann", "staff"), ("eve", "staff"), ("cus", "customer")]:
            add_user(hub, name, role, email=f"{name}@example.com")
        self.tokens = {n: make_token(hub, n) for n in ("admin", "ann", "eve", "cus")}
        self.hub.bus.handle(ac.SetContacts(name="ann", contacts={
            "sms": "+4915112345678", "webhook": "http://127.0.0.1:9/hook-secret-abc"}),
            system_actor("cli"))
        assert self.call("POST", "/api/v1/groups", json={"name": "noc"}).status_code == 201
        assert self.call("PUT", "/api/v1/groups/noc/members/ann").status_code in (200, 201,
                                                                                  204)
        assert self.call("POST", "/api/v1/queues", json={
            "name": "NOC", "sla": {"response": "30m", "resolve": "4h"}}).status_code == 201
        for right in NOC_RIGHTS:
            r = self.call("POST", "/api/v1/grants", json={"right": right, "queue": "NOC",
                                                          "to": "group:noc"})
            assert r.status_code in (200, 201), r.json
        r = self.call("POST", "/api/v1/tickets", json={
            "queue": "NOC", "subject": "web-01 down", "body": "x",
            "requestors": ["cus@example.com"]})
        assert r.status_code == 201, r.json
        self.ticket = int(r.json["id"])
        r = self.call("POST", "/api/v1/tickets", json={
            "queue": "General", "subject": "disk full", "body": "x"})
        self.general_ticket = int(r.json["id"])
        self.drain()

    def call(self, method: str, path: str, who: str | None = "admin", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(path, method=method, headers=headers, **kw)

    def drain(self) -> None:
        for _ in range(30):
            if not sum(run_once(self.hub, r) for r in self.hub.reactors):
                return

    def page(self, ticket: int, target: str) -> int:
        r = self.call("POST", "/api/v1/pages", json={"ticket_id": ticket, "target": target})
        assert r.status_code == 201, r.json
        self.drain()
        return int(r.json["id"])

    def login(self, name: str) -> FlaskClient:
        client = create_app(self.hub).test_client()
        html = client.get("/login").data.decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert token
        r = client.post("/login", data={"username": name, "password": "password123",
                                        "csrf_token": token.group(1)})
        assert r.status_code in (302, 303)
        return client


@pytest.fixture
def desk(tmp_path: Any) -> Any:
    hub = make_hub(tmp_path)
    yield Desk(hub)
    hub.engine.dispose()


def test_staff_without_rights_on_a_queue_get_nothing_about_its_tickets(desk: Desk) -> None:
    page = desk.page(desk.ticket, "user:ann")
    n = desk.ticket
    assert desk.call("GET", f"/api/v1/pages?ticket_id={n}", "ann").json["pages"]
    assert desk.call("GET", f"/api/v1/pages?ticket_id={n}", "eve").json == {"pages": []}
    for who in ("eve", "cus"):
        for method, path in [("GET", f"/api/v1/pages/{page}"),
                             ("POST", f"/api/v1/pages/{page}/ack"),
                             ("POST", f"/api/v1/pages/{page}/resolve"),
                             ("GET", f"/api/v1/channels/deliveries?ticket_id={n}"),
                             ("GET", f"/api/v1/tickets/{n}/reminders"),
                             ("POST", f"/api/v1/tickets/{n}/reminders")]:
            r = desk.call(method, path, who, json={"in": "2h"})
            assert r.status_code in (403, 404), (who, path, r.status_code)
            assert "ann" not in r.get_data(as_text=True), (who, path)
        r = desk.call("POST", "/api/v1/pages", who, json={"ticket_id": n, "target": "user:ann"})
        assert r.status_code == 404, (who, r.json)
        r = desk.call("GET", "/api/v1/tickets?sla=breached", who)
        assert all(t["id"] != n for t in r.json["tickets"])
        r = desk.call("GET", "/api/v1/rules", who)
        assert r.status_code == 403 if who == "cus" else r.status_code == 200
    for path in ("/api/v1/channels/deliveries", f"/api/v1/channels/deliveries?ticket_id={n}",
                 f"/api/v1/pages/{page}", "/api/v1/oncall/schedules", "/api/v1/calendars",
                 "/api/v1/rules", f"/api/v1/tickets/{n}/reminders", "/api/v1/users/ann"):
        assert desk.call("GET", path, None).status_code == 401, path
    assert desk.call("GET", f"/api/v1/pages/{page}", "ann").json["state"] == "triggered"


def test_deliveries_show_a_persons_addresses_only_to_them_and_admins(desk: Desk) -> None:
    desk.page(desk.general_ticket, "user:ann")
    path = f"/api/v1/channels/deliveries?ticket_id={desk.general_ticket}"
    seen = {who: desk.call("GET", path, who).json["deliveries"] for who in
            ("admin", "ann", "eve")}
    assert {d["via"] for d in seen["admin"]} >= {"sms", "webhook"}
    addresses = {d["via"]: d["address"] for d in seen["admin"]}
    assert addresses["sms"] == "+4915112345678" and "hook-secret" in addresses["webhook"]
    assert {d["via"]: d["address"] for d in seen["ann"]} == addresses
    assert len(seen["eve"]) == len(seen["admin"])
    assert all(d["address"] is None for d in seen["eve"] if d["user"] == "ann")
    body = json.dumps(seen["eve"])
    assert "+4915112345678" not in body and "hook-secret" not in body


def test_the_sla_report_is_for_staff_who_see_the_queue(desk: Desk) -> None:
    ann, eve, cus = desk.login("ann"), desk.login("eve"), desk.login("cus")
    assert ann.get("/sla/queues/NOC").status_code == 200
    assert "response 30m" in ann.get("/sla/queues/NOC").data.decode()
    assert eve.get("/sla/queues/NOC").status_code == 404
    assert eve.get("/sla/queues/General").status_code == 200
    assert cus.get("/sla/queues/General").status_code in (403, 404)
    anonymous = desk.client.get("/sla/queues/General")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.location
    # the ticket page of a queue eve cannot see is not found, its page box neither
    page = desk.page(desk.ticket, "user:ann")
    assert eve.get(f"/tickets/{desk.ticket}").status_code == 404
    html = ann.get(f"/tickets/{desk.ticket}").data.decode()
    assert f'data-page="{page}"' in html and 'class="sla' in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', eve.get("/").data.decode())
    assert csrf
    r = eve.post(f"/pages/{page}/ack", data={"csrf_token": csrf.group(1)})
    assert r.status_code == 404
    assert desk.call("GET", f"/api/v1/pages/{page}", "ann").json["state"] == "triggered"


@pytest.mark.parametrize("zone", ["Europe", "Europe/", "x" * 5000, "../../etc/passwd", "UTC\x00"])
def test_odd_time_zone_names_are_refused_not_crashed_on(desk: Desk, zone: str) -> None:
    calendar = {"timezone": zone, "hours": {"mon": ["08:00-18:00"]}}
    r = desk.call("PUT", "/api/v1/calendars/odd", json=calendar)
    assert r.status_code == 422 and r.json["error"]
    r = desk.call("PUT", "/api/v1/oncall/schedules/odd", json={
        "timezone": zone, "rotation": {"users": ["ann"], "shift": "1w",
                                       "start": "2026-01-05T09:00"}})
    assert r.status_code == 422 and r.json["error"]
    r = desk.call("PATCH", "/api/v1/users/ann", "ann", json={
        "quiet_hours": {"timezone": zone, "from": "22:00", "to": "07:00"}})
    assert r.status_code == 422 and r.json["error"]


JUNK: list[Any] = [
    None, [], "x", 7, {"a": {"b": [1, {"c": None}]}}, {"name": "x" * 100_000},
    {"unknown_key": 1}, {"timezone": 5, "hours": "x"}, {"steps": [{"notify": 1}]},
    {"rotation": {"users": "ann", "shift": 5, "start": 1}, "timezone": "UTC"},
    {"name": "r", "on": 5, "if": [], "do": {}}, {"in": 5}, {"at": "9999-99-99"},
    {"ticket_id": "x"}, {"ticket_id": 10**30}, {"code": ["x"]}, {"contacts": {"sms": 5}},
    {"quiet_hours": {"timezone": 5}}, {"sla": {"by_priority": {"x": 5}}},
    {"escalation_policy": 5}, {"enabled": "yes", "order": 10**40},
]
RAW = [b"{", b"\xff\xfe", b"[1,2", b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}"]
WRITES = [("PUT", "/api/v1/calendars/fz"), ("PUT", "/api/v1/oncall/schedules/fz"),
          ("PUT", "/api/v1/oncall/policies/fz"), ("POST", "/api/v1/rules"),
          ("PUT", "/api/v1/rules/fz"), ("PATCH", "/api/v1/rules/fz"),
          ("DELETE", "/api/v1/rules"), ("POST", "/api/v1/tickets/1/reminders"),
          ("POST", "/api/v1/pages"), ("POST", "/api/v1/pages/1/ack"),
          ("PATCH", "/api/v1/users/ann"), ("PATCH", "/api/v1/queues/General")]


@pytest.mark.parametrize("who", ["admin", "eve", "cus", None])
def test_malformed_bodies_get_a_json_refusal(desk: Desk, who: str | None) -> None:
    for method, path in WRITES:
        bodies = [json.dumps(b).encode() for b in JUNK] + RAW
        for body in bodies:
            r = desk.call(method, path, who, data=body, content_type="application/json")
            assert r.status_code in OK_REFUSALS | {200, 201}, (who, method, path, body[:60],
                                                               r.status_code)
            if r.status_code >= 400:
                assert r.is_json and r.json.get("error"), (who, path, body[:60])
            else:
                assert who == "admin", (who, method, path, body[:60])


def test_sms_inbound_and_totp_pages_refuse_strangers(desk: Desk) -> None:
    inbound = "/api/v1/channels/sms/inbound?from=%2B4915112345678&text=ACK+1234"
    assert desk.client.get(inbound).status_code == 403  # no token configured: refused
    assert desk.client.get(inbound + "&token=guess").status_code == 403
    for path in ("/account/second-factor", "/account/second-factor/confirm",
                 "/account/second-factor/remove", "/account/contacts"):
        r = desk.client.post(path, data={})
        assert r.status_code in (302, 303, 400, 401, 403), path
        assert r.status_code == 400 or "/login" in (r.location or ""), path
    r = desk.client.get("/login/code")
    assert r.status_code in (302, 303, 400, 401, 403, 404)
    assert b"otpauth://" not in r.data


def test_the_desk_shows_on_call_times_as_local_time_to_staff_only(desk: Desk) -> None:
    r = desk.call("PUT", "/api/v1/oncall/schedules/ops", json={
        "timezone": "Europe/Berlin", "rotation": {"users": ["ann", "eve"], "shift": "1w",
                                                  "start": "2026-01-05T09:00"}})
    assert r.status_code == 201, r.json
    html = desk.login("eve").get("/").data.decode()
    box = html[html.index('id="h-oncall"'):]
    box = box[:box.index("</section>")]
    assert 'data-schedule="ops"' in box and "<time datetime=" in box
    assert "h-oncall" not in desk.login("cus").get("/").data.decode()
