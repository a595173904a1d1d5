"""On-call through the API on both databases: schedules, policies, pages that escalate
with an injected clock, acks from the API, the web and a mail reply, resolve by the
ticket, and what outsiders and customers get (nothing).

The reactors run here by hand (``run_once``), the escalation job with ``now`` given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hub_support import add_user, fresh_postgres_db, make_hub, make_token

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.oncall.jobs import drive_escalations
from hub.reactors import run_once
from hub.tickets import commands as tc

T0 = dt.datetime(2026, 1, 6, 2, 0)  # a Tuesday night: alice's week


class Env:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.client: FlaskClient = create_app(hub).test_client()
        for name, role in [("alice", "staff"), ("bob", "staff"), ("cora", "customer")]:
            add_user(hub, name, role)
        self.tokens = {n: make_token(hub, n) for n in ("admin", "alice", "bob", "cora")}
        for name in ("alice", "bob"):
            hub.bus.handle(ac.SetContacts(name=name, contacts={
                "webhook": f"http://127.0.0.1:9/{name}"}), system_actor("cli"))
        self.oncall = [r for r in hub.reactors if r.name.startswith("oncall_")]
        self.drain()  # new reactors start at the head

    def call(self, method: str, path: str, who: str | None = "admin",
             **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(path, method=method, headers=headers, **kw)

    def drain(self) -> None:
        for _ in range(20):
            if not sum(run_once(self.hub, r) for r in self.oncall):
                return

    def setup_policy(self) -> None:
        r = self.call("PUT", "/api/v1/oncall/schedules/ops", json={
            "timezone": "Europe/Berlin", "rotation": {
                "users": ["alice", "bob"], "shift": "1w", "start": "2026-01-05T09:00"}})
        assert r.status_code == 201, r.json
        r = self.call("PUT", "/api/v1/oncall/policies/crit", json={"steps": [
            {"notify": "schedule:ops", "via": ["mail", "webhook"], "wait": "5m"},
            {"notify": "user:bob", "via": ["webhook"], "wait": "10m"}], "repeat": 1})
        assert r.status_code == 201, r.json

    def ticket(self, subject: str = "Disk full on web-01") -> int:
        r = self.call("POST", "/api/v1/tickets", json={
            "queue": "General", "subject": subject, "body": "x",
            "requestors": ["cora@example.com"]})
        assert r.status_code == 201
        return int(r.json["id"])

    def page(self, ticket_id: int, at: dt.datetime = T0) -> dict[str, Any]:
        from hub.oncall import commands as oc

        page = self.hub.bus.handle(oc.TriggerPage(ticket_id=ticket_id, policy="crit",
                                                  reason="test", at=at), system_actor())
        self.drain()
        return dict(page)

    def pages(self, ticket_id: int, who: str = "admin") -> list[dict[str, Any]]:
        r = self.call("GET", f"/api/v1/pages?ticket_id={ticket_id}", who)
        assert r.status_code == 200
        return list(r.json["pages"])

    def activity(self, ticket_id: int) -> list[str]:
        r = self.call("GET", f"/api/v1/tickets/{ticket_id}/history")
        return [h["data"]["kind"] for h in r.json if h["type"] == "TicketActivityRecorded"]


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    url = fresh_postgres_db() if request.param == "postgresql" else None
    hub = make_hub(tmp_path, url)
    yield Env(hub)
    hub.engine.dispose()


def test_schedule_round_trip_now_and_feed(env: Env) -> None:
    env.setup_policy()
    r = env.call("GET", "/api/v1/oncall/schedules/ops", "alice")
    assert r.status_code == 200 and r.json["rotation"]["users"] == ["alice", "bob"]
    assert env.call("GET", "/api/v1/oncall/schedules", "alice").json["schedules"][0][
        "name"] == "ops"
    r = env.call("GET", "/api/v1/oncall/schedules/ops/now?at=2026-01-06T02:00:00Z", "alice")
    assert r.json == {"schedule": "ops", "timezone": "Europe/Berlin",
                      "at": "2026-01-06T02:00:00Z", "on_call": ["alice"],
                      "until": "2026-01-12T08:00:00Z",
                      "next": {"user": "bob", "users": ["bob"], "from": "2026-01-12T08:00:00Z"}}
    r = env.call("GET", "/api/v1/oncall/schedules/ops.ics?at=2026-01-06T02:00:00Z&weeks=3",
                 "alice")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    body = r.data.decode()
    assert body.count("BEGIN:VEVENT") == 4 and "DTSTART:20260105T080000Z" in body
    # a calendar client without a bearer token uses the feed URL's secret
    feed = env.call("GET", "/api/v1/oncall/schedules/ops", "alice").json["feed_url"]
    token = feed.split("token=", 1)[1]
    assert env.call("GET", f"/api/v1/oncall/schedules/ops.ics?token={token}",
                    None).status_code == 200
    assert env.call("GET", "/api/v1/oncall/schedules/ops.ics?token=" + "0" * 40,
                    None).status_code == 401
    # the same PUT again changes nothing
    r = env.call("PUT", "/api/v1/oncall/schedules/ops", json={
        "timezone": "Europe/Berlin", "rotation": {
            "users": ["alice", "bob"], "shift": "1w", "start": "2026-01-05T09:00"}})
    assert r.status_code == 200 and r.json["changed"] is False


def test_bad_documents_and_unknown_targets_are_refused(env: Env) -> None:
    env.setup_policy()
    r = env.call("PUT", "/api/v1/oncall/schedules/x", json={"timezone": "Europe/Berlin",
                 "rotation": {"users": ["ghost"], "shift": "1d", "start": "2026-01-01T00:00"}})
    assert r.status_code == 422 and "ghost" in r.json["error"]
    r = env.call("PUT", "/api/v1/oncall/policies/p", json={"steps": [
        {"notify": "schedule:nope", "via": ["mail"], "wait": "5m"}]})
    assert r.status_code == 422 and "schedule:nope" in r.json["error"]
    r = env.call("PUT", "/api/v1/oncall/policies/p", json={"steps": [
        {"notify": "user:bob", "via": ["fax"], "wait": "5m"}]})
    assert r.status_code == 422 and "fax" in r.json["error"]
    r = env.call("PUT", "/api/v1/oncall/policies/p", data="{", content_type="application/json")
    assert r.status_code == 400
    assert env.call("GET", "/api/v1/oncall/policies/none").status_code == 404
    assert env.call("GET", "/api/v1/oncall/schedules/ops/now?at=soon").status_code == 400


def test_outsiders_and_customers_get_nothing(env: Env) -> None:
    env.setup_policy()
    ticket = env.ticket()
    page = env.page(ticket)
    reads = ["/api/v1/oncall/schedules", "/api/v1/oncall/schedules/ops",
             "/api/v1/oncall/schedules/ops/now", "/api/v1/oncall/schedules/ops.ics",
             "/api/v1/oncall/policies", "/api/v1/oncall/policies/crit",
             f"/api/v1/pages?ticket_id={ticket}", f"/api/v1/pages/{page['id']}"]
    for path in reads:
        assert env.call("GET", path, None).status_code == 401, path
        r = env.call("GET", path, "cora")
        assert r.status_code == 404 or r.json == {"pages": []}, path
    # the customer owns the ticket and still sees no page
    assert env.call("GET", f"/api/v1/tickets/{ticket}", "cora").status_code == 200
    for method, path in [("POST", f"/api/v1/pages/{page['id']}/ack"),
                         ("POST", f"/api/v1/pages/{page['id']}/resolve"),
                         ("POST", "/api/v1/pages")]:
        assert env.call(method, path, None, json={}).status_code == 401
        assert env.call(method, path, "cora", json={"ticket_id": ticket,
                                                    "policy": "crit"}).status_code == 404
    # staff may not change schedules or policies; admins may
    r = env.call("PUT", "/api/v1/oncall/policies/crit", "alice", json={"steps": [
        {"notify": "user:alice", "via": ["mail"], "wait": "5m"}]})
    assert r.status_code == 403
    # the web: a visitor is sent to the login, a customer is refused
    assert env.client.post(f"/pages/{page['id']}/ack").status_code in (302, 303, 400)
    assert env.pages(ticket)[0]["state"] == "triggered"


def test_a_page_escalates_repeats_and_is_exhausted(env: Env) -> None:
    env.setup_policy()
    ticket = env.ticket()
    page = env.page(ticket)
    assert page["created"] and page["step"] == 1 and re.fullmatch(r"\d{4}", page["code"])
    # triggering again while it is open pages nobody twice
    again = env.page(ticket)
    assert again["id"] == page["id"] and again["created"] is False
    [shown] = env.pages(ticket)
    assert {(n["user"], n["via"]) for n in shown["notified"]} == {
        ("alice", "mail"), ("alice", "webhook")}
    # times in ISO 8601 UTC, as the contract writes them
    assert all(n["at"].endswith("Z") for n in shown["notified"])
    assert shown["triggered_at"].endswith("Z") and shown["next_escalation_at"].endswith("Z")
    assert drive_escalations(env.hub, T0 + dt.timedelta(minutes=4)) == []
    [moved] = drive_escalations(env.hub, T0 + dt.timedelta(minutes=5))
    assert moved["outcome"] == "escalated" and moved["step"] == 2
    assert drive_escalations(env.hub, T0 + dt.timedelta(minutes=5)) == []  # once
    env.drain()
    [shown] = env.pages(ticket)
    assert shown["step"] == 2 and ("bob", "webhook") in {
        (n["user"], n["via"]) for n in shown["notified"]}
    # round 2 starts at step 1 again, then it is exhausted and stays triggered
    assert drive_escalations(env.hub, T0 + dt.timedelta(minutes=15))[0]["round"] == 1
    assert drive_escalations(env.hub, T0 + dt.timedelta(minutes=20))[0]["step"] == 2
    assert drive_escalations(env.hub, T0 + dt.timedelta(minutes=30))[0][
        "outcome"] == "exhausted"
    assert drive_escalations(env.hub, T0 + dt.timedelta(hours=3)) == []
    env.drain()
    [shown] = env.pages(ticket)
    assert shown["state"] == "triggered" and shown["exhausted"] is True
    assert len([n for n in shown["notified"] if n["user"] == "alice"]) == 4
    kinds = env.activity(ticket)
    assert kinds.count("page.escalated") == 3 and "page.exhausted" in kinds
    assert kinds.count("page.notified") == len(shown["notified"])


def test_ack_by_api_stops_escalation_and_the_ticket_resolves_the_page(env: Env) -> None:
    env.setup_policy()
    ticket = env.ticket()
    page = env.page(ticket)
    r = env.call("POST", f"/api/v1/pages/{page['id']}/ack", "bob", json={"code": "0000"
                 if page["code"] != "0000" else "1111"})
    assert r.status_code == 422
    r = env.call("POST", f"/api/v1/pages/{page['id']}/ack", "bob")
    assert r.status_code == 200 and r.json["state"] == "acknowledged"
    assert r.json["acknowledged_by"] == "bob" and r.json["acknowledged_via"] == "api"
    assert drive_escalations(env.hub, T0 + dt.timedelta(hours=1)) == []
    env.hub.bus.handle(tc.UpdateTicket(ticket_id=ticket, status="resolved"),
                       system_actor("cli"))
    env.drain()
    [shown] = env.pages(ticket)
    assert shown["state"] == "resolved"
    assert {"page.triggered", "page.acknowledged", "page.resolved"} <= set(env.activity(ticket))
    # a resolved page cannot be acknowledged again
    assert env.call("POST", f"/api/v1/pages/{page['id']}/ack", "bob").status_code == 409


def test_ack_by_a_reply_of_a_notified_user_only(env: Env) -> None:
    env.setup_policy()
    ticket = env.ticket()
    page = env.page(ticket)
    # bob was not notified at step 1: his ACK comment acknowledges nothing
    env.call("POST", f"/api/v1/tickets/{ticket}/comment", "bob", json={"body": "ACK"})
    env.drain()
    assert env.pages(ticket)[0]["state"] == "triggered"
    env.call("POST", f"/api/v1/tickets/{ticket}/correspond", "alice",
             json={"body": f"ack {page['code']}\n\nlooking at it"})
    env.drain()
    [shown] = env.pages(ticket)
    assert shown["state"] == "acknowledged" and shown["acknowledged_by"] == "alice"


def test_the_ticket_page_shows_the_page_and_its_ack_button(env: Env) -> None:
    env.setup_policy()
    ticket = env.ticket()
    page = env.page(ticket)
    client = env.client
    r = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.data.decode()).group(1)
    r = client.post("/login", data={"username": "alice", "password": "password123",
                                    "csrf_token": token})
    assert r.status_code in (302, 303)
    html = client.get(f"/tickets/{ticket}").data.decode()
    assert f'data-page="{page["id"]}"' in html and "Acknowledge page" in html
    assert "On call" in client.get("/").data.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f"/pages/{page['id']}/ack", data={}).status_code == 400  # no csrf
    r = client.post(f"/pages/{page['id']}/ack", data={"csrf_token": csrf,
                                                       "ticket_id": str(ticket)})
    assert r.status_code == 303
    [shown] = env.pages(ticket)
    assert shown["state"] == "acknowledged" and shown["acknowledged_via"] == "web"
