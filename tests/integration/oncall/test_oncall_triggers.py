"""What starts a page: a new ticket in a queue that names a policy, and an alert whose
route names one (the route wins for alert tickets); a repeat alert does not page again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hub_support import add_user, make_token

from hub import create_app
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.reactors import run_once
from hub.setup import initialise

CONFIG = """\
[[alert_routes]]
name = "web"
host = "web-*"
escalation_policy = "crit"
"""


class Env:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.client: FlaskClient = create_app(hub).test_client()
        add_user(hub, "alice", "staff")
        self.token = make_token(hub, "admin")
        self.oncall = [r for r in hub.reactors if r.name.startswith("oncall_")]
        self.drain()
        r = self.call("PUT", "/api/v1/oncall/policies/crit", {"steps": [
            {"notify": "user:alice", "via": ["mail"], "wait": "5m"}]})
        assert r.status_code == 201, r.json
        r = self.call("PUT", "/api/v1/oncall/policies/desk", {"steps": [
            {"notify": "user:alice", "via": ["mail"], "wait": "1h"}]})
        assert r.status_code == 201, r.json

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.open(path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})

    def drain(self) -> None:
        for _ in range(20):
            if not sum(run_once(self.hub, r) for r in self.oncall):
                return

    def pages(self, ticket_id: int) -> list[dict[str, Any]]:
        self.drain()
        return list(self.call("GET", f"/api/v1/pages?ticket_id={ticket_id}").json["pages"])

    def nagios(self, host: str, kind: str = "PROBLEM", pid: str = "7") -> dict[str, Any]:
        r = self.call("POST", "/api/v1/events/nagios", {
            "NOTIFICATIONTYPE": kind, "HOSTNAME": host, "HOSTSTATE": "UP",
            "SERVICEDESC": "disk", "SERVICESTATE": "CRITICAL" if kind == "PROBLEM" else "OK",
            "SERVICEOUTPUT": "DISK CRITICAL", "SERVICEPROBLEMID": pid,
            "LASTSERVICEPROBLEMID": pid, "SERVICENOTIFICATIONID": f"{pid}{kind}{host}"})
        assert r.status_code == 202, r.json
        return dict(r.json)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    (tmp_path / "hub.toml").write_text(CONFIG)
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"),
                                  "HUB_SECRET_KEY": "test", "HUB_MAIL_DOMAIN": "hub.test",
                                  "HUB_CONFIG": str(tmp_path / "hub.toml")})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="admin-password")
    yield Env(hub)
    hub.engine.dispose()


def test_a_queue_with_a_policy_pages_each_new_ticket(env: Env) -> None:
    r = env.call("POST", "/api/v1/queues", {"name": "Ops", "escalation_policy": "nope"})
    assert r.status_code == 422 and "nope" in r.json["error"]
    r = env.call("POST", "/api/v1/queues", {"name": "Ops", "escalation_policy": "desk"})
    assert r.status_code == 201, r.json
    ticket = env.call("POST", "/api/v1/tickets", {"queue": "Ops", "subject": "Help",
                                                  "body": "x"}).json["id"]
    [page] = env.pages(ticket)
    assert page["policy"] == "desk" and page["state"] == "triggered"
    assert [n["user"] for n in page["notified"]] == ["alice"]
    plain = env.call("POST", "/api/v1/tickets", {"queue": "General", "subject": "Quiet",
                                                 "body": "x"}).json["id"]
    assert env.pages(plain) == []


def test_an_alert_route_pages_once_per_open_ticket(env: Env) -> None:
    first = env.nagios("web-01")
    assert first["action"] == "opened"
    [page] = env.pages(first["ticket_id"])
    assert page["policy"] == "crit" and "alert route" in page["reason"]
    again = env.nagios("web-01")  # the same problem notified again
    assert again["ticket_id"] == first["ticket_id"]
    assert len(env.pages(first["ticket_id"])) == 1
    other = env.nagios("db-01", pid="8")  # no route with a policy: no page
    assert env.pages(other["ticket_id"]) == []
    env.nagios("web-01", kind="RECOVERY")  # the route resolves the ticket: its page too
    [page] = env.pages(first["ticket_id"])
    assert page["state"] == "resolved"
