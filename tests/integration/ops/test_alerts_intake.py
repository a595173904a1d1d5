"""Every alert source through the real HTTP endpoints of a running ``hub serve``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub


def shared_dir() -> Path:
    env = os.environ.get("HUB_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[4] / "shared"


def add_user(hub: Hub, name: str, role: str) -> None:
    hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                 password="password123"), system_actor("cli"))


def make_token(hub: Hub, user: str) -> str:
    return str(hub.bus.handle(ac.CreateToken(user=user, name="test"),
                              system_actor("cli"))["token"])

NAGIOS = shared_dir() / "data" / "nagios" / "json"
KEEPALIVED = shared_dir() / "data" / "keepalived"


def _nagios_files() -> list[Path]:
    return sorted(NAGIOS.glob("*.json"))


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        return self.session.post(self.url + path, timeout=30, **kwargs)

    def get(self, path: str) -> Any:
        response = self.session.get(self.url + path, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/tickets/{ticket_id}/history"))

    def notes(self, ticket_id: int) -> str:
        return "\n".join(str(e["data"].get("body", "")) for e in self.history(ticket_id))


@pytest.fixture
def api(server: Any) -> tuple[Api, Hub]:
    srv, hub = server
    add_user(hub, "nagios", "staff")
    return Api(srv.url, make_token(hub, "nagios")), hub


def _post_twice(api: Api, hub: Hub, path: str, **kwargs: Any) -> dict[str, Any]:
    """Post, then redeliver: the second answer is ``duplicate`` and stores nothing."""
    first = api.post(path, **kwargs)
    assert first.status_code == 202, first.text
    with hub.engine.connect() as conn:
        before = hub.store.last_position(conn)
    second = api.post(path, **kwargs)
    assert second.status_code == 202, second.text
    assert second.json()["action"] == "duplicate"
    assert second.json()["ticket_id"] == first.json()["ticket_id"]
    with hub.engine.connect() as conn:
        assert hub.store.last_position(conn) == before
    return dict(first.json())


EXPECTED = {
    "01": "opened", "03": "updated", "05": "updated", "07": "resolved", "09": "opened",
    "11": "resolved", "13": "opened", "15": "resolved", "17": "opened", "19": "resolved",
    "21": "opened", "23": "resolved",
}


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_nagios_captured_notifications(api: tuple[Api, Hub], encoding: str) -> None:
    client, hub = api
    tickets: dict[str, int] = {}
    for path in _nagios_files():
        capture = json.loads(path.read_text())
        number = path.name[:2]
        if capture["body_json"] is None:  # file 22: invalid JSON from an inline curl
            response = client.post("/api/v1/events/nagios", data=capture["body_raw"],
                                   headers={"Content-Type": "application/json"})
            assert response.status_code == 400
            assert "not valid JSON" in response.json()["error"]
            continue
        kwargs: dict[str, Any] = (
            {"json": capture["body_json"]} if encoding == "json"
            else {"data": {k: str(v) for k, v in capture["body_json"].items()}})
        answer = _post_twice(client, hub, "/api/v1/events/nagios", **kwargs)
        assert answer["action"] == EXPECTED[number], path.name
        tickets[number] = answer["ticket_id"]
    assert tickets["01"] == tickets["03"] == tickets["05"] == tickets["07"]
    assert tickets["09"] == tickets["11"] and tickets["09"] != tickets["01"]
    assert len({tickets[n] for n in ("01", "09", "13", "17", "21")}) == 5
    first = client.get(f"/api/v1/tickets/{tickets['01']}")
    assert first["status"] == "resolved"
    assert "web-01" in first["subject"] and "App Health" in first["subject"]
    notes = client.notes(tickets["01"])
    assert "re-notification #2" in notes
    assert "Acknowledged in nagios by" in notes
    host = client.get(f"/api/v1/tickets/{tickets['13']}")
    assert "edge-01" in host["subject"] and host["status"] == "resolved"


def test_nagios_bad_input_is_a_clear_400(api: tuple[Api, Hub], server: Any) -> None:
    client, hub = api
    missing = client.post("/api/v1/events/nagios", {"NOTIFICATIONTYPE": "PROBLEM"})
    assert missing.status_code == 400 and "HOSTNAME" in missing.json()["error"]
    unknown = client.post("/api/v1/events/nagios", {"NOTIFICATIONTYPE": "BOGUS",
                                                    "HOSTNAME": "x", "HOSTSTATE": "UP"})
    assert unknown.status_code == 400
    assert client.post("/api/v1/events/nagios", data=b"").status_code == 400
    assert client.post("/api/v1/events/nagios", [1, 2]).status_code == 400
    srv, _ = server
    no_token = requests.post(srv.url + "/api/v1/events/nagios", json={}, timeout=10)
    assert no_token.status_code == 401
    add_user(hub, "cust", "customer")
    customer = Api(srv.url, make_token(hub, "cust"))
    body = json.loads((_nagios_files()[0]).read_text())["body_json"]
    assert customer.post("/api/v1/events/nagios", body).status_code == 403


def _am(status: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": "4", "groupKey": '{}:{alertname="HighLoad"}', "status": status,
            "receiver": "opshub", "groupLabels": {"alertname": "HighLoad"},
            "commonLabels": {"alertname": "HighLoad"}, "commonAnnotations": {},
            "externalURL": "http://am:9093", "truncatedAlerts": 0, "alerts": alerts}


def _am_alert(host: str, status: str, value: str) -> dict[str, Any]:
    return {"status": status, "labels": {"alertname": "HighLoad", "instance": f"{host}:9100",
                                         "severity": "critical"},
            "annotations": {"summary": f"load high on {host}", "value": value},
            "startsAt": "2026-11-25T22:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-25T22:30:00Z",
            "generatorURL": "http://prom/graph", "fingerprint": f"fp-{host}"}


def test_alertmanager_group(api: tuple[Api, Hub]) -> None:
    client, hub = api
    firing = _am("firing", [_am_alert("app-01", "firing", "9.5"),
                            _am_alert("app-02", "firing", "8.1")])
    answer = _post_twice(client, hub, "/api/v1/events/alertmanager", json=firing)
    assert answer["action"] == "opened"
    first, second = answer["alerts"]
    assert first["action"] == second["action"] == "opened"
    child = client.get(f"/api/v1/tickets/{second['ticket_id']}")
    assert child["links"]["parents"] == [first["ticket_id"]]
    assert "app-02" in child["subject"] and "HighLoad" in child["subject"]
    resolved = _am("resolved", [_am_alert("app-01", "resolved", "1"),
                                _am_alert("app-02", "resolved", "1")])
    answer = _post_twice(client, hub, "/api/v1/events/alertmanager", json=resolved)
    assert [a["action"] for a in answer["alerts"]] == ["resolved", "resolved"]
    bad = client.post("/api/v1/events/alertmanager", {"version": "3", "alerts": []})
    assert bad.status_code == 400 and "version" in bad.json()["error"]


def test_events_v2_lifecycle(api: tuple[Api, Hub]) -> None:
    client, hub = api
    trigger = {"routing_key": "rk", "event_action": "trigger", "dedup_key": "disk-db-01",
               "payload": {"summary": "Disk 97%", "source": "db-01", "severity": "warning"}}
    opened = _post_twice(client, hub, "/api/v1/events", json=trigger)
    assert opened["action"] == "opened"
    worse = {**trigger, "payload": {**trigger["payload"], "severity": "critical",
                                    "summary": "Disk 99%"}}
    assert _post_twice(client, hub, "/api/v1/events", json=worse)["action"] == "updated"
    assert client.get(f"/api/v1/tickets/{opened['ticket_id']}")["priority"] == 80
    ack = {"routing_key": "rk", "event_action": "acknowledge", "dedup_key": "disk-db-01"}
    assert _post_twice(client, hub, "/api/v1/events", json=ack)["action"] == "updated"
    resolve = {"routing_key": "rk", "event_action": "resolve", "dedup_key": "disk-db-01"}
    done = _post_twice(client, hub, "/api/v1/events", json=resolve)
    assert done == {"ticket_id": opened["ticket_id"], "action": "resolved"}
    again = {**trigger, "payload": {**trigger["payload"], "summary": "Disk 96% again"}}
    reopened = _post_twice(client, hub, "/api/v1/events", json=again)
    assert reopened["action"] == "opened" and reopened["ticket_id"] != opened["ticket_id"]
    bad = client.post("/api/v1/events", {"event_action": "trigger", "payload": {}})
    assert bad.status_code == 400


def test_keepalived_captured_scenarios(api: tuple[Api, Hub]) -> None:
    client, hub = api
    files = sorted(KEEPALIVED.glob("*/*.json"))
    assert len(files) == 27
    answers = []
    quiet = {"04-failover-sigkill-master/0009", "07-hung-master-sigstop-sigcont/0018"}
    warned = 0
    for path in files:
        body = json.loads(path.read_text())["body_json"]
        answers.append(_post_twice(client, hub, "/api/v1/events/keepalived", json=body))
        if f"{path.parent.name}/{path.name[:4]}" in quiet:
            # A killed or hung master says nothing more: only after the settle time
            # (3 s) does the hub warn; preemptions never wait that long.
            warned += 1
            deadline = time.monotonic() + 20
            while client.notes(answers[0]["ticket_id"]).count(
                    "possible split brain") < warned:
                assert time.monotonic() < deadline, "no split-brain warning after settling"
                time.sleep(0.3)
    assert answers[0]["action"] == "opened"
    assert {a["action"] for a in answers[1:]} == {"updated"}
    ticket = answers[0]["ticket_id"]
    assert {a["ticket_id"] for a in answers} == {ticket}
    notes = client.notes(ticket)
    assert notes.count("possible split brain") == 2  # SIGKILLed master, hung master only
    assert "OUTAGE: every node of VI_HUB is in FAULT" in notes
    assert "arrived after later ones" in notes  # scenario 05: MASTER posted after BACKUP
    state = client.get(f"/api/v1/tickets/{ticket}")
    assert "VI_HUB" in state["subject"] and state["priority"] >= 90
    bad = client.post("/api/v1/events/keepalived", {"type": "INSTANCE", "name": "x",
                                                    "state": "SLEEPY"})
    assert bad.status_code == 400 and "state" in bad.json()["error"]


def test_backuppc_failures_and_recovery(api: tuple[Api, Hub]) -> None:
    client, hub = api

    def dump(ok: int, stamp: str, error: str = "") -> dict[str, Any]:
        return {"host": "files-01", "type": "incr", "xfer_ok": ok, "error": error,
                "timestamp": stamp}

    failed = _post_twice(client, hub, "/api/v1/events/backuppc",
                         json=dump(0, "2026-11-25T01:00:00Z", "rsync error: timeout"))
    assert failed["action"] == "opened"
    again = _post_twice(client, hub, "/api/v1/events/backuppc",
                        json=dump(0, "2026-11-25T02:00:00Z", "rsync error: timeout"))
    assert again == {"ticket_id": failed["ticket_id"], "action": "updated"}
    good = _post_twice(client, hub, "/api/v1/events/backuppc",
                       json=dump(1, "2026-11-25T03:00:00Z"))
    assert good == {"ticket_id": failed["ticket_id"], "action": "resolved"}
    later = _post_twice(client, hub, "/api/v1/events/backuppc",
                        json=dump(1, "2026-11-26T03:00:00Z"))
    assert later["action"] == "ignored"
    ticket = client.get(f"/api/v1/tickets/{failed['ticket_id']}")
    assert ticket["status"] == "resolved" and "files-01" in ticket["subject"]
    bad = client.post("/api/v1/events/backuppc", {"host": "x", "type": "full", "xfer_ok": 7})
    assert bad.status_code == 400 and "xfer_ok" in bad.json()["error"]
