"""Calendars, queue SLA policies, ticket clocks and alarms through the API and the bus."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hub_support import add_user, make_token

from hub import create_app
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.cli import main
from hub.db import events, writing
from hub.sla.jobs import fire_due
from hub.sla.tables import sla_clocks
from hub.tickets import commands as tc

OFFICE = {"timezone": "Europe/Berlin", "hours": {d: ["08:00-18:00"] for d in
                                                  ("mon", "tue", "wed", "thu", "fri")},
          "holidays": ["2026-12-25"]}


class Api:
    def __init__(self, hub: Hub) -> None:
        self.client = create_app(hub).test_client()
        self.tokens: dict[str, str] = {}

    def __call__(self, method: str, path: str, who: str | None = "admin",
                 body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(path, method=method, headers=headers,
                                data=None if body is None else json.dumps(body),
                                content_type="application/json")


@pytest.fixture
def api(hub: Hub) -> Api:
    client = Api(hub)
    add_user(hub, "ann", "staff")
    add_user(hub, "cus", "customer", email="cus@example.com")
    add_user(hub, "other", "customer", email="other@example.com")
    for name in ("admin", "ann", "cus", "other"):
        client.tokens[name] = make_token(hub, name)
    return client


def _ticket(api: Api, queue: str = "Support", who: str = "admin", **extra: Any) -> Any:
    body = {"queue": queue, "subject": "disk full", "body": "help",
            "requestors": ["cus@example.com"], **extra}
    reply = api("POST", "/api/v1/tickets", who, body)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def test_calendars_round_trip_and_refuse_bad_input(api: Api) -> None:
    assert api("PUT", "/api/v1/calendars/office", "admin", OFFICE).status_code == 201
    got = api("GET", "/api/v1/calendars/office").get_json()
    assert got["timezone"] == "Europe/Berlin" and got["hours"]["mon"] == ["08:00-18:00"]
    assert api("PUT", "/api/v1/calendars/office", "admin", OFFICE).status_code == 200
    assert [c["name"] for c in api("GET", "/api/v1/calendars").get_json()["calendars"]] == [
        "office"]
    bad = api("PUT", "/api/v1/calendars/office", "admin", {**OFFICE, "timezone": "Nowhere/X"})
    assert bad.status_code == 422 and "time zone" in bad.get_json()["error"]
    bad = api("PUT", "/api/v1/calendars/office", "admin",
              {**OFFICE, "hours": {"mon": ["25:00-26:00"]}})
    assert bad.status_code == 422
    bad = api("PUT", "/api/v1/calendars/office", "admin", {**OFFICE, "holidays": ["soon"]})
    assert bad.status_code == 422 and "date" in bad.get_json()["error"]
    assert api("PUT", "/api/v1/calendars/office", "ann", OFFICE).status_code == 403
    assert api("PUT", "/api/v1/calendars/office", "cus", OFFICE).status_code == 403
    assert api("GET", "/api/v1/calendars/office", "cus").status_code == 403
    assert api("GET", "/api/v1/calendars/office", None).status_code == 401
    assert api("GET", "/api/v1/calendars/nope").status_code == 404


def test_queue_policy_ticket_sla_and_recompute(api: Api, hub: Hub) -> None:
    assert api("PUT", "/api/v1/calendars/office", "admin", OFFICE).status_code == 201
    sla = {"response": "4h", "resolve": "3d", "pause_on": ["stalled"],
           "by_priority": {"90": {"response": "30m", "resolve": "4h"}}}
    created = api("POST", "/api/v1/queues", "admin", {"name": "Support", "sla": sla})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["sla"]["by_priority"]["90"]["response"] == "30m"
    assert created.get_json()["escalation_policy"] is None
    bad = api("PATCH", "/api/v1/queues/Support", "admin", {"sla": {"response": "whenever"}})
    assert bad.status_code == 422 and "response" in bad.get_json()["error"]
    bad = api("PATCH", "/api/v1/queues/Support", "admin", {"sla": {"calendar": "nope",
                                                                   "response": "1h"}})
    assert bad.status_code == 422 and "calendar" in bad.get_json()["error"]

    ticket = _ticket(api, priority=95)
    assert ticket["sla"] is not None and ticket["sla"]["breached"] == []
    created_at = dt.datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
    due = dt.datetime.fromisoformat(ticket["sla"]["response_due"].replace("Z", "+00:00"))
    assert due - created_at == dt.timedelta(minutes=30)  # 24x7: no calendar in the policy

    # A policy change recomputes the open ticket (now on the office calendar).
    assert api("PATCH", "/api/v1/queues/Support", "admin",
               {"sla": {**sla, "calendar": "office"}}).status_code == 200
    again = api("GET", f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]
    assert again["response_due"] != ticket["sla"]["response_due"] or _is_business(created_at)

    # Customers see the SLA of their own tickets only; outsiders nothing.
    mine = api("GET", f"/api/v1/tickets/{ticket['id']}", "cus").get_json()
    assert "sla" in mine
    assert api("GET", f"/api/v1/tickets/{ticket['id']}", "other").status_code == 404
    assert api("GET", f"/api/v1/tickets/{ticket['id']}", None).status_code == 401
    listed = api("GET", "/api/v1/tickets?sla=due_within:1000d", "other").get_json()
    assert listed["total"] == 0
    assert api("GET", "/api/v1/tickets?sla=due_within:1000d", "cus").get_json()["total"] == 1
    assert api("GET", "/api/v1/tickets?sla=sometime").status_code == 422

    # Clearing the policy: null sla on the ticket.
    assert api("PATCH", "/api/v1/queues/Support", "admin", {"sla": None}).status_code == 200
    assert api("GET", f"/api/v1/tickets/{ticket['id']}").get_json()["sla"] is None


def _is_business(at: dt.datetime) -> bool:
    local = at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    return local.weekday() < 5 and 8 <= local.hour < 17


def _backdate(hub: Hub, ticket_id: int, minutes: int) -> None:
    """Move the ticket's creation into the past, then rebuild the SLA read model from
    the events (the clocks come from events alone)."""
    with writing(hub.engine) as conn:
        rows = conn.execute(sa.select(events.c.position, events.c.at).where(
            events.c.stream_id == f"ticket-{ticket_id}")).all()
        for row in rows:
            conn.execute(sa.update(events).where(events.c.position == row.position)
                         .values(at=row.at - dt.timedelta(minutes=minutes)))
        hub.runner.rebuild(conn, ["sla"])


def test_breach_fires_once_and_is_listed(api: Api, hub: Hub, tmp_path: Path) -> None:
    api("POST", "/api/v1/queues", "admin", {"name": "Support", "sla": {
        "response": "1h", "resolve": "1d", "pause_on": ["stalled"]}})
    ticket = _ticket(api)
    _backdate(hub, ticket["id"], 61)
    fired = fire_due(hub)
    assert [(f["kind"], f["clock"]) for f in fired] == [("sla.breach", "response")]
    assert fire_due(hub) == []  # marked fired by the projection
    # A restart (a new hub on the same database, the read model rebuilt) fires nothing new.
    again = bootstrap(hub.settings, hub.engine)
    with writing(again.engine) as conn:
        again.runner.rebuild(conn, ["sla"])
    assert fire_due(again) == []
    history = api("GET", f"/api/v1/tickets/{ticket['id']}/history").get_json()
    kinds = [e["data"]["kind"] for e in history if e["type"] == "TicketActivityRecorded"]
    assert kinds == ["sla.breach"]
    assert api("GET", "/api/v1/tickets?sla=breached").get_json()["total"] == 1
    view = api("GET", f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]
    assert view["breached"] == ["response"]
    # The staff reply stops the response clock (still breached: it came late).
    assert api("POST", f"/api/v1/tickets/{ticket['id']}/correspond", "admin",
               {"body": "on it"}).status_code == 201
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(sla_clocks)).one()
    assert row.response_stopped is not None

    # Replay: a laxer policy would have met it; nothing is written.
    policy = tmp_path / "lax.json"
    policy.write_text(json.dumps({"response": "1d", "resolve": "1d"}))
    with hub.engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar()
    result = CliRunner().invoke(main, ["sla", "replay", "--policy", str(policy),
                                       "--queue", "Support"],
                                env={"HUB_DATA_DIR": str(hub.settings.data_dir),
                                     "HUB_SECRET_KEY": "test-secret",
                                     "HUB_DATABASE_URL": hub.settings.sqlalchemy_url})
    assert result.exit_code == 0, result.output
    assert "breached -> met" in result.output
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == before


def test_pause_on_stalled_and_staff_only_report(api: Api, hub: Hub) -> None:
    api("POST", "/api/v1/queues", "admin", {"name": "Support", "sla": {
        "resolve": "1h", "pause_on": ["stalled"]}})
    ticket = _ticket(api)
    hub.bus.handle(tc.UpdateTicket(ticket_id=ticket["id"], status="stalled"),
                   system_actor("test"))
    view = api("GET", f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]
    assert view["paused"] is True and view["resolve_due"] is None
    assert api("GET", "/api/v1/tickets?sla=paused").get_json()["total"] == 1
    web = api.client
    assert web.get("/sla/queues/Support").status_code in (302, 401, 403)
