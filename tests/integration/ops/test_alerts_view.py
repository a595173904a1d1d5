"""The alerts page (``/alerts``) on both databases, fed through the real Nagios endpoint.

Alerts arrive as Nagios 4.4.6 posted them (``shared/data/nagios/json``) on
``POST /api/v1/events/nagios``; the page groups them by host and service with
state, output, flapping, acknowledgement and the ticket link, shows a host that is
down as an incident with its services, drops an alert once it recovers, and shows
only what the viewer's rights on the tickets allow (customers and visitors: nothing).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hub_support import add_user, make_token

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub

NAGIOS = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
              / "shared") / "data" / "nagios" / "json"


def captured(prefix: str, **changes: str) -> dict[str, Any]:
    path = next(NAGIOS.glob(f"{prefix}-*.json"))
    return {**json.loads(path.read_text())["body_json"], **changes}


class AlertTables(HTMLParser):
    """``{host: [row text, ...]}`` from the page's per-host tables, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: dict[str, list[str]] = {}
        self._host: str | None = None
        self._in_caption = False
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table" and "alerts" in classes.split():
            self._host = ""
        elif tag == "caption" and self._host is not None:
            self._in_caption = True
        elif tag == "tr" and self._host:
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._in_caption:
            self._in_caption = False
            self._host = (self._host or "").split()[0]
            self.hosts[self._host] = []
        elif tag == "tr" and self._row is not None and self._host:
            text = " ".join(" ".join(self._row).split())
            if text and not text.startswith("Service State"):
                self.hosts[self._host].append(text)
            self._row = None
        elif tag == "table":
            self._host = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._host = (self._host or "") + data.strip() + " "
        elif self._row is not None:
            self._row.append(data.strip())


def host_tables(page: str) -> dict[str, list[str]]:
    parser = AlertTables()
    parser.feed(page)
    return parser.hosts


class Site:
    """An app on the hub, staff ``ops`` (with an API token) and whoever else a test needs."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.app: Flask = create_app(hub)
        self.app.config["WTF_CSRF_ENABLED"] = False
        add_user(hub, "ops", "staff")
        self.token = make_token(hub, "ops")

    def login(self, user: str | None, password: str = "password123") -> FlaskClient:
        client = self.app.test_client()
        if user is not None:
            answer = client.post("/login", data={"username": user, "password": password})
            assert answer.status_code == 303, answer.data[:300]
        return client

    def nagios(self, fields: dict[str, Any]) -> dict[str, Any]:
        answer = self.app.test_client().post(
            "/api/v1/events/nagios", json=fields,
            headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 202, answer.data
        return dict(answer.get_json())

    def page(self, client: FlaskClient, query: str = "") -> str:
        answer = client.get("/alerts" + query)
        assert answer.status_code == 200, answer.data[:500]
        return answer.get_data(as_text=True)


@pytest.fixture
def site(hub: Hub) -> Iterator[Site]:
    yield Site(hub)


@pytest.fixture
def any_site(any_hub: Hub) -> Iterator[Site]:
    """The same on SQLite and PostgreSQL (the board's SQL is dialect-sensitive)."""
    yield Site(any_hub)


def test_alerts_grouped_by_host_and_service_with_ticket_incident_and_recovery(
        any_site: Site) -> None:
    site = any_site
    app_health = site.nagios(captured("01"))["ticket_id"]
    http_port = site.nagios(captured("09"))["ticket_id"]
    edge_down = site.nagios(captured("13"))["ticket_id"]
    bgp = site.nagios(captured("21"))["ticket_id"]
    assert len({app_health, http_port, edge_down, bgp}) == 4
    staff = site.login("ops")
    page = site.page(staff)
    tables = host_tables(page)
    assert list(tables) == ["edge-01", "web-01"]  # alphabetical among equally critical
    app_row = next(r for r in tables["web-01"] if r.startswith("App Health"))
    assert "CRITICAL" in app_row and "App health endpoint returned 503" in app_row
    assert f"#{app_health}" in app_row and "Acknowledge" in app_row
    assert [r.split()[0] for r in tables["web-01"]] == ["App", "HTTP"]  # by service name
    assert tables["edge-01"][0].startswith("host") and "DOWN" in tables["edge-01"][0]
    assert f'href="/tickets/{app_health}"' in page
    # The host that is down is an incident with its service alert beneath it.
    incident = page[page.index(f'id="incident-{edge_down}"'):]
    incident = incident[:incident.index("</article>")]
    assert "BGP Session" in incident and f"/tickets/{bgp}" in incident
    assert "App Health" not in incident
    assert re.search(r"<time datetime=\"[0-9T:-]+Z\" title=\"[^\"]+\">", app_row_html(page))

    acked = site.nagios(captured("05"))  # Nagios says alice acknowledged App Health
    assert acked["ticket_id"] == app_health
    app_row = next(r for r in host_tables(site.page(staff))["web-01"]
                   if r.startswith("App Health"))
    assert "by alice" in app_row and "Acknowledge" not in app_row
    listed = staff.get("/api/v1/alerts?host=web-01&state=open").get_json()["alerts"]
    item = next(a for a in listed if a["service"] == "App Health")
    assert item["acknowledged_by"] == "alice" and item["last_state"] == "CRITICAL"
    assert "returned 503" in item["output"] and item["state_since"].endswith("Z")
    unhandled = host_tables(site.page(staff, "?state=unhandled"))
    assert [r.split()[0] for r in unhandled["web-01"]] == ["HTTP"]
    assert "App Health" in " ".join(host_tables(site.page(staff, "?state=acknowledged"))
                                    ["web-01"])

    assert site.nagios(captured("07"))["action"] == "resolved"  # App Health recovers
    tables = host_tables(site.page(staff))
    assert [r.split()[0] for r in tables["web-01"]] == ["HTTP"]
    assert "App Health" not in site.page(staff)
    assert site.nagios(captured("11"))["action"] == "resolved"
    assert "web-01" not in host_tables(site.page(staff))


def app_row_html(page: str) -> str:
    start = page.index("App Health")
    return page[start:page.index("</tr>", start)]


def test_flapping_notices_from_nagios_mark_the_alert(site: Site) -> None:
    site.nagios(captured("09"))
    staff = site.login("ops")
    assert "flapping" not in " ".join(host_tables(site.page(staff))["web-01"])
    start = captured("09", NOTIFICATIONTYPE="FLAPPINGSTART", SERVICENOTIFICATIONID="90",
                     TIMET="1795647000")
    assert site.nagios(start)["action"] == "updated"
    row = host_tables(site.page(staff))["web-01"][0]
    assert row.startswith("HTTP Port flapping")
    assert host_tables(site.page(staff, "?state=flapping"))["web-01"] == [row]
    stop = captured("09", NOTIFICATIONTYPE="FLAPPINGSTOP", SERVICENOTIFICATIONID="91",
                    TIMET="1795647100")
    site.nagios(stop)
    assert "flapping" not in host_tables(site.page(staff))["web-01"][0]
    assert "web-01" not in host_tables(site.page(staff, "?state=flapping"))


def test_filters_by_source_and_severity_and_bad_filters_are_400(site: Site) -> None:
    site.nagios(captured("09"))
    staff = site.login("ops")
    assert "web-01" in host_tables(site.page(staff, "?source=nagios&severity=critical"))
    assert host_tables(site.page(staff, "?source=alertmanager")) == {}
    assert host_tables(site.page(staff, "?severity=warning")) == {}
    for query, field in (("?source=zabbix", "source"), ("?state=gone", "state"),
                         ("?severity=bad", "severity")):
        answer = staff.get("/alerts" + query)
        assert answer.status_code == 400, query
        assert field in answer.get_data(as_text=True) and "must be one of" in answer.get_data(
            as_text=True)


def test_acknowledge_from_the_page_asks_nagios_and_waits_for_it(site: Site) -> None:
    ticket = site.nagios(captured("09"))["ticket_id"]
    staff = site.login("ops")
    page = site.page(staff)
    form = page[page.index('class="ack-form"'):]
    form = form[:form.index("</form>")]
    assert 'name="csrf_token"' in form and 'name="problem_key"' in form
    answer = staff.post(f"/alerts/{ticket}/ack", data={
        "comment": "on it", "problem_key": "nagios:web-01:HTTP Port:2",
        "next": "/alerts?source=nagios"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(
        "/alerts?source=nagios")
    row = host_tables(site.page(staff))["web-01"][0]
    assert "requested by ops, waiting for Nagios" in row and "Acknowledge" not in row
    again = staff.post(f"/alerts/{ticket}/ack", data={"comment": "x" * 401})
    assert again.status_code == 303  # refused with a message, nothing sent
    followed = staff.get("/alerts")
    assert "longer than 400" in followed.get_data(as_text=True)
    elsewhere = staff.post("/alerts/999999/ack", data={})
    assert elsewhere.status_code == 404


def test_acknowledge_needs_the_csrf_token(site: Site) -> None:
    ticket = site.nagios(captured("09"))["ticket_id"]
    staff = site.login("ops")
    site.app.config["WTF_CSRF_ENABLED"] = True
    answer = staff.post(f"/alerts/{ticket}/ack", data={"comment": "no token"})
    assert answer.status_code == 400
    row = host_tables(site.page(staff))["web-01"][0]
    assert "Acknowledge" in row and "requested" not in row  # nothing was requested


def test_customers_visitors_and_staff_without_rights_see_nothing(any_site: Site) -> None:
    site = any_site
    add_user(site.hub, "eve", "staff")
    add_user(site.hub, "cust", "customer")
    ticket = site.nagios(captured("09"))["ticket_id"]
    visitor = site.app.test_client().get("/alerts")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    customer = site.login("cust")
    refused = customer.get("/alerts")
    assert refused.status_code == 403 and "web-01" not in refused.get_data(as_text=True)
    assert customer.post(f"/alerts/{ticket}/ack", data={}).status_code == 403
    assert site.app.test_client().post(f"/alerts/{ticket}/ack").status_code == 302

    state = site.login("admin", "admin-password").get(f"/api/v1/tickets/{ticket}").get_json()
    cli = system_actor("cli")
    site.hub.bus.handle(ac.CreateGroup(name="oncall"), cli)
    site.hub.bus.handle(ac.ChangeGroupMember(group="oncall", user="ops"), cli)
    site.hub.bus.handle(ac.GrantRight(scope=state["queue"], principal="group:oncall",
                                      right="ShowTicket"), cli)
    eve = site.login("eve")
    assert host_tables(site.page(eve)) == {}
    assert "web-01" not in site.page(eve) and f"#{ticket}" not in site.page(eve)
    assert eve.post(f"/alerts/{ticket}/ack", data={}).status_code == 404
    ops = site.login("ops")
    row = host_tables(site.page(ops))["web-01"][0]
    assert f"#{ticket}" in row and "Acknowledge" not in row  # ShowTicket only
    site.hub.bus.handle(ac.GrantRight(scope=state["queue"], principal="group:oncall",
                                      right="ModifyTicket"), cli)
    assert "Acknowledge" in host_tables(site.page(ops))["web-01"][0]
    admin = site.login("admin", "admin-password")
    assert "web-01" in host_tables(site.page(admin))
