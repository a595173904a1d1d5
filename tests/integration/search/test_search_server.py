"""Against a real ``hub serve``: its reactor indexes new events; CLI rebuild meanwhile."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import requests

from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.tickets import commands as tc
from hub.wiki import commands as wc


def _wait_for_hits(url: str, token: str, q: str, expected: set[Any]) -> set[Any]:
    deadline = time.monotonic() + 60
    found: set[Any] = set()
    while time.monotonic() < deadline:
        response = requests.get(f"{url}/api/v1/search", params={"q": q},
                                headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200, response.text
        found = {h["id"] for h in response.json()["hits"]}
        if found == expected:
            return found
        time.sleep(0.2)
    return found


def test_server_indexes_new_events_and_survives_a_cli_rebuild(server: Any) -> None:
    srv, hub = server
    assert isinstance(hub, Hub)
    hub.bus.handle(ac.CreateUser(name="alice", email="alice@example.com", role="staff",
                                 password="correct horse"), system_actor("cli"))
    token = str(hub.bus.handle(ac.CreateToken(user="alice", name="t"),
                               system_actor("cli"))["token"])
    staff = Actor("alice", "alice@example.com", "staff", "api")
    ticket = hub.bus.handle(tc.CreateTicket(queue="General", subject="Wombat outage",
                                            body="the wombat service is down"), staff)["id"]
    hub.bus.handle(wc.SavePage(web="Ops", topic="WombatRunbook", text="restart the wombat",
                               base_revision=0), staff)
    assert _wait_for_hits(srv.url, token, "wombat", {ticket, "Ops.WombatRunbook"}) == {
        ticket, "Ops.WombatRunbook"}

    env = {**srv.env}
    result = subprocess.run([sys.executable, "-m", "hub.cli", "search", "rebuild"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "search index rebuilt" in result.stdout
    assert _wait_for_hits(srv.url, token, "wombat", {ticket, "Ops.WombatRunbook"}) == {
        ticket, "Ops.WombatRunbook"}

    session = requests.Session()
    login = session.get(f"{srv.url}/login", timeout=10).text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    session.post(f"{srv.url}/login", data={"username": "alice", "password": "correct horse",
                                           "csrf_token": csrf}, timeout=10)
    page = session.get(f"{srv.url}/search", params={"q": "wombat"}, timeout=10)
    assert page.status_code == 200 and "<mark>wombat</mark>" in page.text.lower()
    assert os.path.isdir(srv.data_dir / "index")
