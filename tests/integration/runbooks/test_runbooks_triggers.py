"""Runs started by mail commands and schedules, ticket steps, masking and rebuilds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from runbooks_support import Env

from hub.actors import Actor
from hub.db import WRITE, events
from hub.reactors import run_once
from hub.runbooks.commands import StartRun
from hub.runbooks.config import ConfigError
from hub.runbooks.reactors import RunPlanner
from hub.runbooks.schedule import add_jobs, parse_schedules, run_scheduled
from hub.runbooks.tables import runbook_runs, runbook_suggestions

NOTES = """\
```params
note: {required: true}
api_token: {default: "none"}
```

```op
name: Say it
action: ticket.comment
params: {body: "{{ params.note }} (called with {{ params.api_token }})"}
```

```op
name: Stall it
action: ticket.status
params: {status: stalled}
```
"""


def test_mail_command_starts_a_run_and_secrets_stay_out_of_events(env: Env) -> None:
    env.save_runbook("Runbooks", "Notes", NOTES)
    ticket = env.ticket("disk full")
    mailer = Actor(name="alice", email="alice@example.com", role="staff", source="email")
    secret = "s3cr3t-Tok3n-value"
    planner = next(r for r in env.hub.reactors if isinstance(r, RunPlanner))
    run_once(env.hub, planner)  # a reactor starts at the head
    result = env.hub.bus.handle(StartRun(runbook="Runbooks.Notes", params={
        "note": "cleaned /var", "api_token": secret}, ticket_id=ticket), mailer)
    rid = int(result["id"])
    run = env.get("alice", f"/api/v1/runs/{rid}").get_json()
    assert run["params"] == {"note": "cleaned /var", "api_token": "********"}
    assert [s["state"] for s in run["steps"]] == ["planned", "planned"]
    assert run["steps"][0]["plan"] is None  # the mail gateway does not plan
    assert run_once(env.hub, planner) >= 1
    run = env.get("alice", f"/api/v1/runs/{rid}").get_json()
    assert run["steps"][0]["plan"]["summary"] == "add a comment to the ticket"
    assert run["steps"][0]["params"]["body"] == "cleaned /var (called with ********)"
    r = env.post("alice", f"/api/v1/runs/{rid}/steps/2/plan")
    assert r.get_json()["steps"][1]["plan"]["changes"] == ["status: new -> stalled"]
    assert env.post("alice", f"/api/v1/runs/{rid}/steps/1/apply").status_code == 200
    done = env.post("alice", f"/api/v1/runs/{rid}/steps/2/apply").get_json()
    assert done["status"] == "completed"
    assert env.get("alice", f"/api/v1/tickets/{ticket}").get_json()["status"] == "stalled"
    history = env.history(ticket)
    started = next(e for e in history if "started by alice" in str(e["data"].get("body")))
    assert started["source"] == "runbook"
    assert any(e["data"].get("body") == "cleaned /var (called with ********)" for e in history)
    with env.hub.engine.connect() as conn:
        stored = conn.execute(sa.select(events.c.data, events.c.meta)).all()
    assert all(secret not in str(row.data) + str(row.meta) for row in stored)
    assert any(row.meta.get("via") == "email" for row in stored)


def test_scheduled_drill_opens_a_ticket_and_starts_a_run(env: Env) -> None:
    env.save_runbook("Runbooks", "Notes", NOTES)
    env.configure(extra={"runbook_schedules": [{
        "name": "monthly-drill", "runbook": "Runbooks.Notes", "cron": "0 10 1 * *",
        "params": {"note": "drill"}, "queue": "General"}]})
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(env.hub, scheduler)
    [job] = scheduler.get_jobs()
    assert job.id == "runbook:monthly-drill"
    [schedule] = parse_schedules(env.hub.settings.extra["runbook_schedules"])
    run = run_scheduled(env.hub, schedule)
    assert run["ticket_id"] and run["started_by"] == "schedule:monthly-drill"
    assert run["steps"][1]["plan"]["changes"] == ["status: new -> stalled"]
    ticket = env.get("alice", f"/api/v1/tickets/{run['ticket_id']}").get_json()
    assert ticket["subject"].startswith("Scheduled runbook Runbooks.Notes")
    for bad in ([{"name": "x", "runbook": "Runbooks.Notes", "cron": "every day"}],
                [{"name": "y", "runbook": "nodot", "cron": "0 1 * * *"}], {"a": 1}):
        with pytest.raises(ConfigError):
            parse_schedules(bad)


def test_suggestion_api_and_projection_rebuild(env: Env) -> None:
    env.save_runbook("Runbooks", "Notes", NOTES)
    ticket = env.ticket()
    url = "/api/v1/runbooks/Runbooks/Notes/suggestions"
    assert env.post("admin", url, {"ticket_id": 99999}).status_code == 404
    assert env.post("admin", url, {}).status_code == 400
    r = env.post("admin", url, {"ticket_id": ticket, "params": {"note": "x"}, "reason": "r"})
    assert r.status_code == 201
    assert env.post("admin", url, {"ticket_id": ticket, "params": {"note": "x"}}).status_code \
        == 200
    env.post("alice", "/api/v1/runbooks/Runbooks/Notes/runs",
             {"ticket_id": ticket, "params": {"note": "y"}})
    with env.hub.engine.connect() as conn:
        before = [conn.execute(sa.select(t)).all() for t in (runbook_runs, runbook_suggestions)]
    with env.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        env.hub.runner.rebuild(conn, ["runbook_runs", "runbook_suggestions"])
    with env.hub.engine.connect() as conn:
        after = [conn.execute(sa.select(t)).all() for t in (runbook_runs, runbook_suggestions)]
    assert before == after and before[0] and before[1]
