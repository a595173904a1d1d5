"""keepalived preemption is not a split brain: the real notify payloads, crossed on the wire.

In a normal preemption the new MASTER's POST and the old master's BACKUP leave
milliseconds apart and often arrive MASTER first. The hub waits the settle time
(``[keepalived] settle_seconds``, 3 s) before warning; a hung master (scenario 07,
only the new MASTER reports) still gets its warning after that.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import requests
from hub_support import add_user, make_token

KEEPALIVED = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
                  / "shared") / "data" / "keepalived"


def payloads(scenario: str) -> list[dict[str, Any]]:
    (folder,) = KEEPALIVED.glob(f"{scenario}-*")
    return [json.loads(p.read_text())["body_json"] for p in sorted(folder.glob("*.json"))]


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.session.post(self.url + "/api/v1/events/keepalived", json=body,
                                     timeout=10)
        assert response.status_code == 202, response.text
        return dict(response.json())

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        return dict(self.session.get(f"{self.url}/api/v1/tickets/{ticket_id}", timeout=10).json())

    def notes(self, ticket_id: int) -> str:
        history = self.session.get(f"{self.url}/api/v1/tickets/{ticket_id}/history",
                                   timeout=10).json()
        return "\n".join(str(e["data"].get("body", "")) for e in history)


def test_preemption_with_master_first_warns_nothing_and_subject_follows(server: Any) -> None:
    srv, hub = server
    add_user(hub, "lb", "staff")
    client = Client(srv.url, make_token(hub, "lb"))
    for body in payloads("01") + payloads("02"):  # a MASTER, then graceful failover to b
        ticket = client.post(body)["ticket_id"]
    assert client.ticket(ticket)["subject"] == "Failover VI_HUB: node-b MASTER, node-a STOP"
    a_backup, b_backup, a_master = payloads("03")
    for body in (a_backup, a_master, b_backup):  # MASTER overtakes the old master's BACKUP
        client.post(body)
    time.sleep(4.5)  # longer than the settle time: a warning would be there by now
    notes = client.notes(ticket)
    assert "report MASTER at once" in notes  # the suspicion is said, quietly
    assert "possible split brain" not in notes
    state = client.ticket(ticket)
    assert state["priority"] < 90
    assert state["subject"] == "Failover VI_HUB: node-a MASTER, node-b BACKUP"

    hung_b_master, _ = payloads("07")  # node-a hangs: only node-b reports
    client.post(hung_b_master)
    deadline = time.monotonic() + 20
    while "possible split brain" not in client.notes(ticket):
        assert time.monotonic() < deadline, "a hung master was never reported"
        time.sleep(0.3)
    state = client.ticket(ticket)
    assert state["priority"] >= 90
    assert client.notes(ticket).count("possible split brain") == 1
