"""Honest runs over the API: ``when:`` conditions, every run status, failed plans, skips
with reasons, aborts, and the demo runbook of ``hub init`` run end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runbooks_support import Env

from hub.runbooks.demo import DEMO_FILE, DEMO_HOST

CONDITIONAL = """\
```params
status: {type: choice, choices: [open, stalled, bogus], default: open}
```

```op
name: Set the status
action: ticket.status
params: {status: "{{ params.status }}"}
```

```op
name: Say it worked
action: ticket.comment
params: {body: "status is now {{ params.status }}"}
when: step 1 verified
```

```op
name: Say it failed
action: ticket.comment
params: {body: "could not set the status"}
when: step 1 failed
```

```op
name: Sign off
action: ticket.comment
params: {body: "signed off"}
```
"""
PLAIN = """\
```op
name: First note
action: ticket.comment
params: {body: "one"}
```

```op
name: Second note
action: ticket.comment
params: {body: "two"}
```
"""
MISSING_BACKUP = """\
```op
name: Restore a file nobody backed up
action: backup.restore
params: {host: nobody, path: /etc/none.conf, target: "{{ params.target }}"}
approval: required
```

```op
name: Note it
action: ticket.comment
params: {body: "restored"}
when: step 1 verified
```

```params
target: {required: true}
```
"""


def start(env: Env, topic: str, ticket: int, user: str = "alice",
          **params: str) -> dict[str, Any]:
    r = env.post(user, f"/api/v1/runbooks/Runbooks/{topic}/runs",
                 {"ticket_id": ticket, "params": params})
    assert r.status_code == 201, r.get_data()
    return dict(r.get_json())


def act(env: Env, user: str, rid: int, n: int, action: str,
        body: dict[str, Any] | None = None) -> Any:
    return env.post(user, f"/api/v1/runs/{rid}/steps/{n}/{action}", body or {})


def states(run: dict[str, Any]) -> list[str]:
    return [s["state"] for s in run["steps"]]


def bodies(env: Env, ticket: int) -> list[str]:
    return [str(e["data"].get("body", "")) for e in env.history(ticket)
            if e["type"] == "TicketCommented"]


def test_a_comment_follows_only_what_happened(env: Env) -> None:
    env.save_runbook("Runbooks", "Conditional", CONDITIONAL)
    ticket = env.ticket("status drill")
    run = start(env, "Conditional", ticket)
    rid = run["id"]
    assert [s["when"] for s in run["steps"]] == [None, "step 1 verified", "step 1 failed",
                                                  None]
    assert act(env, "alice", rid, 2, "apply").status_code == 409  # step 1 first
    assert act(env, "alice", rid, 1, "apply").get_json()["steps"][0]["state"] == "verified"
    r = act(env, "alice", rid, 2, "apply")
    assert r.status_code == 200, r.get_data()
    done = r.get_json()
    # the failure note's condition is decided as the run reaches it: it skips itself
    assert states(done) == ["verified", "verified", "skipped", "planned"]
    assert done["steps"][2]["skipped_by"] == "runbook"
    assert done["steps"][2]["skip_reason"] == "condition not met: step 1 is verified"
    done = act(env, "alice", rid, 4, "apply").get_json()
    assert done["status"] == "completed_with_skips"
    text = bodies(env, ticket)
    assert "status is now open" in text and "could not set the status" not in text
    assert any("step 3 (Say it failed) skipped: condition not met: step 1 is verified" in b
               for b in text)
    assert any("The run finished with skipped steps (3): completed_with_skips" in b
               for b in text)


def test_after_a_failure_only_the_failure_path_runs(env: Env) -> None:
    env.save_runbook("Runbooks", "Conditional", CONDITIONAL)
    ticket = env.ticket("status drill")
    rid = start(env, "Conditional", ticket, status="bogus")["id"]
    failed = act(env, "alice", rid, 1, "apply").get_json()
    assert failed["status"] == "failed" and failed["failed_step"] == 1
    assert failed["steps"][0]["state"] == "failed" and "bogus" in failed["steps"][0]["error"]
    for n in (2, 4):  # not run after the failure: they do not ask for it
        r = act(env, "alice", rid, n, "apply")
        assert r.status_code == 409 and "step 1 failed" in r.get_json()["error"], n
    r = act(env, "alice", rid, 3, "apply")  # `when: step 1 failed`: the failure path
    assert r.status_code == 200 and states(r.get_json())[2] == "verified"
    assert r.get_json()["status"] == "failed"  # still what happened
    text = bodies(env, ticket)
    assert "could not set the status" in text and "status is now bogus" not in text
    assert any("The run stopped: step 1 failed." in b for b in text)
    # aborting needs a reason, and says who ended it and why
    r = env.post("alice", f"/api/v1/runs/{rid}/abort", {})
    assert r.status_code == 422 and r.get_json()["param"] == "reason"
    r = env.post("alice", f"/api/v1/runs/{rid}/abort", {"reason": "ticket closed by hand"})
    aborted = r.get_json()
    assert r.status_code == 200 and aborted["status"] == "aborted"
    assert (aborted["aborted_by"], aborted["abort_reason"]) == ("alice",
                                                               "ticket closed by hand")
    assert aborted["finished_at"] and aborted["started_at"]
    assert any("aborted by alice: ticket closed by hand" in b for b in bodies(env, ticket))
    assert env.post("alice", f"/api/v1/runs/{rid}/abort", {"reason": "x"}).status_code == 409
    assert act(env, "bob", rid, 2, "skip", {"reason": "late"}).status_code == 409


def test_completed_means_every_step_applied_and_verified(env: Env) -> None:
    env.save_runbook("Runbooks", "Plain", PLAIN)
    ticket = env.ticket()
    rid = start(env, "Plain", ticket)["id"]
    assert act(env, "alice", rid, 1, "apply").get_json()["status"] == "running"
    done = act(env, "alice", rid, 2, "apply").get_json()
    assert done["status"] == "completed" and states(done) == ["verified", "verified"]
    assert any("The run is complete: every step was applied and verified." in b
               for b in bodies(env, ticket))
    # the same runbook with a step skipped (a reason is needed) does not "complete"
    other = start(env, "Plain", ticket)["id"]
    r = act(env, "alice", other, 1, "skip")
    assert r.status_code == 422 and r.get_json()["param"] == "reason"
    assert act(env, "alice", other, 1, "skip", {"reason": "said already"}).status_code == 200
    assert any("step 1 skipped by alice: said already" in b for b in bodies(env, ticket))
    done = act(env, "alice", other, 2, "apply").get_json()
    assert done["status"] == "completed_with_skips"
    listed = env.get("alice", f"/api/v1/runs?ticket_id={ticket}").get_json()["runs"]
    assert {r["id"]: r["status"] for r in listed} == {rid: "completed",
                                                     other: "completed_with_skips"}


def test_a_plan_that_cannot_be_made_is_failed_never_planned(env: Env, tmp_path: Path) -> None:
    env.save_runbook("Runbooks", "Missing", MISSING_BACKUP)
    ticket = env.ticket()
    target = str(env.hub.settings.data_dir.resolve() / "restores" / "x")
    run = start(env, "Missing", ticket, target=target)
    rid, step = run["id"], run["steps"][0]
    assert step["state"] == "failed" and step["plan"] is None and step["plan_digest"] is None
    assert "no backups for host 'nobody'" in step["plan_error"]
    assert run["status"] == "failed" and run["failed_step"] == 1
    r = act(env, "bob", rid, 1, "approve", {"plan_digest": "sha256:" + "0" * 64})
    assert r.status_code == 409
    assert "cannot be approved: its plan failed: not allowed: no backups" in r.get_json()[
        "error"]
    assert act(env, "alice", rid, 1, "apply").status_code == 409
    # a step that needs approval is skipped by someone other than the starter, with a reason
    assert act(env, "alice", rid, 1, "skip", {"reason": "not needed"}).status_code == 403
    assert act(env, "bob", rid, 1, "skip", {"reason": " "}).status_code == 422
    r = act(env, "bob", rid, 1, "skip", {"reason": "restored from tape instead"})
    assert r.status_code == 200
    assert r.get_json()["status"] == "completed_with_skips"  # step 2's condition: skipped
    assert r.get_json()["steps"][1]["skip_reason"] == "condition not met: step 1 is skipped"
    assert "restored" not in bodies(env, ticket)


def test_the_demo_runbook_runs_to_the_end_with_no_configuration(env: Env) -> None:
    """``hub init`` made the demo: a backup of demo-web1, a restore target, the runbook."""
    data = env.hub.settings.data_dir.resolve()
    assert (data / "backups" / DEMO_HOST / "latest" / DEMO_FILE).is_file()
    page = env.get("admin", "/api/v1/wiki/Runbooks/RestoreWebConfig").get_json()
    assert "HUB_CONFIG" in page["text"] and "[[lb_pools]]" in page["text"]
    ticket = env.ticket("demo-app config lost on demo-web1")
    run = start(env, "RestoreWebConfig", ticket, user="admin")
    rid = run["id"]
    drain = run["steps"][0]
    assert drain["state"] == "failed" and run["status"] == "failed"
    assert drain["plan_error"].startswith(
        "unknown pool 'web': declare it under [[lb_pools]] in the TOML file that HUB_CONFIG "
        "names")
    r = act(env, "admin", rid, 1, "skip", {"reason": "no load balancer in the demo"})
    assert r.status_code == 200 and r.get_json()["status"] == "running"
    restored = act(env, "admin", rid, 2, "apply").get_json()
    assert restored["steps"][1]["state"] == "verified", restored["steps"][1]
    assert restored["steps"][2]["skip_reason"] == "condition not met: step 1 is skipped"
    done = act(env, "admin", rid, 4, "apply").get_json()
    assert done["status"] == "completed_with_skips", done
    assert states(done) == ["skipped", "verified", "skipped", "verified", "skipped"]
    landed = data / "restores" / DEMO_HOST / DEMO_FILE
    assert landed.read_text() == (data / "backups" / DEMO_HOST / "daily.0" / DEMO_FILE
                                  ).read_text()
    assert any(f"/{DEMO_FILE} of {DEMO_HOST} restored from snapshot latest" in b
               for b in bodies(env, ticket))
    assert env.leases() == []


def test_a_bad_condition_is_an_error_on_the_page_and_refuses_the_start(env: Env) -> None:
    env.save_runbook("Runbooks", "BadWhen", PLAIN + "\n```op\nname: Late note\n"
                     "action: ticket.comment\nparams: {body: x}\nwhen: step 3 verified\n```\n")
    ticket = env.ticket()
    r = env.post("alice", "/api/v1/runbooks/Runbooks/BadWhen/runs",
                 {"ticket_id": ticket, "params": {}})
    assert r.status_code == 422
    assert r.get_json()["errors"] == [
        "step 3: when names step 3, not an earlier step (steps 1 to 2)"]
    from test_runbooks_web import login

    page = login(env, "alice").get("/wiki/Runbooks/BadWhen").get_data(as_text=True)
    assert "step 3: when names step 3, not an earlier step" in page
    runbook = login(env, "alice").get("/runbooks/Runbooks/BadWhen").get_data(as_text=True)
    assert "This runbook cannot run" in runbook and "Start run</button>" not in runbook
