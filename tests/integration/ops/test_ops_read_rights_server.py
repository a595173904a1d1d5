"""Against a real ``hub serve``: alert graphs, the alert list and the hub's rates answer
as GET ticket would (a staff member outside a managed queue, a customer: nothing)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import requests
from hub_support import Server, add_user, make_token

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub

NAGIOS = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
              / "shared") / "data" / "nagios" / "json"
TIMEOUT = 10


def captured(prefix: str) -> dict[str, Any]:
    path = next(NAGIOS.glob(f"{prefix}-*.json"))
    return dict(json.loads(path.read_text())["body_json"])


def _grant(srv: Server, admin: str, hub: Hub, right: str, queue: str, to: str) -> None:
    """Through the admin API when the server has it, else the command the CLI sends."""
    response = requests.post(f"{srv.url}/api/v1/grants", timeout=TIMEOUT,
                             json={"right": right, "queue": queue, "to": to},
                             headers={"Authorization": f"Bearer {admin}"})
    if response.status_code in (404, 405):
        hub.bus.handle(ac.GrantRight(scope=queue, principal=to, right=right),
                       system_actor("cli"))
    else:
        assert response.status_code < 300, response.text


def test_alert_reads_answer_as_the_ticket_would(server: tuple[Server, Hub]) -> None:
    srv, hub = server
    tokens = {"admin": make_token(hub, "admin")}
    for name, role in (("ops", "staff"), ("eve", "staff"), ("cust", "customer")):
        add_user(hub, name, role)
        tokens[name] = make_token(hub, name)

    def get(who: str, path: str) -> requests.Response:
        return requests.get(srv.url + path, timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {tokens[who]}"})

    sent = requests.post(srv.url + "/api/v1/events/nagios", json=captured("01"),
                         timeout=TIMEOUT, headers={"Authorization": f"Bearer {tokens['ops']}"})
    assert sent.status_code == 202, sent.text
    ticket_id = sent.json()["ticket_id"]
    requests.post(srv.url + "/api/v1/events/nagios", json=captured("03"), timeout=TIMEOUT,
                  headers={"Authorization": f"Bearer {tokens['ops']}"})
    queue = get("admin", f"/api/v1/tickets/{ticket_id}").json()["queue"]
    graph = f"/api/v1/alerts/{ticket_id}/graph.png?hours=1"
    deadline = time.monotonic() + 30
    while get("admin", graph).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.3)  # the metrics reactor runs after commit
    assert get("eve", graph).status_code == 200  # before the queue is managed

    # The queue becomes managed: only the oncall group holds anything there.
    hub.bus.handle(ac.CreateGroup(name="oncall"), system_actor("cli"))
    hub.bus.handle(ac.ChangeGroupMember(group="oncall", user="ops"), system_actor("cli"))
    _grant(srv, tokens["admin"], hub, "ShowTicket", queue, "group:oncall")

    # The attack: eve (staff, not in oncall) and a customer.
    assert get("eve", f"/api/v1/tickets/{ticket_id}").status_code == 404
    hidden = get("eve", graph)
    assert hidden.status_code == 404 and hidden.json()["error"]
    assert not hidden.content.startswith(b"\x89PNG")
    listed = get("eve", "/api/v1/alerts")
    assert listed.status_code == 200 and listed.json()["alerts"] == []
    assert get("eve", f"/api/v1/alerts?ticket_id={ticket_id}").json()["alerts"] == []
    assert get("eve", "/api/v1/alerts?host=web-01").json()["alerts"] == []
    for path in (graph, "/api/v1/alerts", "/api/v1/metrics/hub.png"):
        answer = get("cust", path)
        assert answer.status_code in (403, 404), path
        assert answer.json()["error"] and not answer.content.startswith(b"\x89PNG")

    # The oncall member (and the admin) still get graph and list.
    for who in ("ops", "admin"):
        response = get(who, graph)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG"), who
        assert {a["ticket_id"] for a in get(who, "/api/v1/alerts").json()["alerts"]} == {
            ticket_id}, who
    # Odd numbers are 400 with JSON, never 500.
    for path in ("/api/v1/alerts?ticket_id=99999999999999999999", "/api/v1/alerts?limit=%C2%B2",
                 f"/api/v1/alerts/{ticket_id}/graph.png?hours=%C2%B2"):
        answer = get("ops", path)
        assert answer.status_code == 400 and answer.json()["error"], path
