"""The closed loop: an alert opens a ticket, a run bound to it drains the node, the
recovery resolves the ticket, and the whole story is one ticket history."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ops_support import HaproxyEnv
from runbooks_support import Env
from test_runbooks_haproxy import RUNS, setup, spread

from hub.runbooks.suggestions import suggest_runbook

SHARED = Path(os.environ.get("HUB_SHARED_DIR")
              or Path(__file__).resolve().parents[3].parent / "shared")
CAPTURES = SHARED / "data" / "nagios" / "json"


def capture(name: str) -> dict[str, Any]:
    path = CAPTURES / name
    assert path.exists(), f"missing Nagios capture {path} (the shared data folder)"
    body = json.loads(path.read_text())["body_json"]
    assert isinstance(body, dict)
    return body


def nagios(env: Env, body: dict[str, Any]) -> dict[str, Any]:
    r = env.post("admin", "/api/v1/events/nagios", body)
    assert r.status_code != 404, (
        "POST /api/v1/events/nagios is missing: the alerts feature (hub/ops/api.py, "
        "registered by hub.ops.feature) must provide it for the closed loop")
    assert r.status_code == 202, r.get_data()
    return dict(r.get_json())


def test_alert_run_recovery_in_one_ticket_history(env: Env, lb: HaproxyEnv) -> None:
    setup(env, lb)
    opened = nagios(env, capture("01-service-PROBLEM-web-01-App_Health.json"))
    assert opened["action"] == "opened"
    ticket = int(opened["ticket_id"])

    # what alert routing does for a rule with `runbook = "Runbooks.DrainWebNode"`
    suggested = suggest_runbook(env.hub, ticket, "Runbooks.DrainWebNode", {"node": "s2"},
                                reason="routing rule web-app-health")
    assert suggested["suggested"] is True
    again = suggest_runbook(env.hub, ticket, "Runbooks.DrainWebNode", {"node": "s2"})
    assert again["suggested"] is False  # a re-notification adds nothing
    listed = env.get("alice", f"/api/v1/runs?ticket_id={ticket}").get_json()
    [suggestion] = listed["suggestions"]
    assert suggestion["params"] == {"node": "s2"}
    assert suggestion["start"].startswith("/runbooks/Runbooks/DrainWebNode?ticket_id=")

    run = env.post("alice", RUNS, {"ticket_id": ticket, "params": suggestion["params"]})
    assert run.status_code == 201, run.get_data()
    rid = run.get_json()["id"]
    assert env.approve("bob", rid, 1).status_code == 200
    assert env.post("alice", f"/api/v1/runs/{rid}/steps/1/apply").status_code == 200
    done = env.post("alice", f"/api/v1/runs/{rid}/steps/2/apply").get_json()
    assert done["status"] == "completed", done
    assert "s2" not in spread(lb.frontend_port, 20)

    resolved = nagios(env, capture("07-service-RECOVERY-web-01-App_Health.json"))
    assert (resolved["ticket_id"], resolved["action"]) == (ticket, "resolved")
    assert env.get("alice", f"/api/v1/tickets/{ticket}").get_json()["status"] == "resolved"

    history = env.history(ticket)
    kinds = [(e["type"], e["source"]) for e in history]
    assert kinds[0] == ("TicketCreated", "alert")
    first_run = kinds.index(("TicketCommented", "runbook"))
    resolved_at = max(i for i, k in enumerate(kinds)
                      if k[0] == "TicketStatusChanged" and history[i]["data"]["new"] == "resolved")
    assert 0 < first_run < resolved_at
    bodies = [str(e["data"].get("body", "")) for e in history]
    assert any("Suggested runbook Runbooks.DrainWebNode" in b for b in bodies)
    assert any("step 1 (Drain the node) verified" in b for b in bodies)
    assert any("The run is complete" in b for b in bodies)
    assert [r["id"] for r in listed["runs"]] == [] and env.get(
        "alice", f"/api/v1/runs?ticket_id={ticket}").get_json()["runs"][0]["id"] == rid
