"""Attacks on runs against a real ``hub serve``: forged starters, approvals of another
plan, skips around the four eyes, secrets through template filters, runs of tickets
the caller may not open. Each test starts from the attack and asserts what the
attacker gets (nothing), then that the real staff member still gets through.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runbooks_server import Live, csrf, start_live

GATED = """\
```params
note: {required: true}
```

```op
name: Stall the ticket
action: ticket.status
params: {status: stalled}
approval: required
```
"""
# A runbook that itself declares a parameter called like the starter: still only a value.
NAMED = """\
```params
started_by: {required: true}
```

```op
name: Stall the ticket
action: ticket.status
params: {status: stalled}
approval: required
```
"""
GATED_RUNS = "/api/v1/runbooks/Runbooks/Gated/runs"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    live = start_live(tmp_path)
    live.save_runbook("Runbooks", "Gated", GATED)
    live.save_runbook("Runbooks", "Named", NAMED)
    yield live
    live.server.stop()
    live.hub.engine.dispose()


# -- vector 1: the starter is the authenticated actor -------------------------------------
def test_a_forged_starter_is_ignored_and_the_real_starter_cannot_approve(live: Live) -> None:
    ticket = live.ticket("alice")
    # the attack: alice names bob as the starter in every field she controls
    r = live.post("alice", GATED_RUNS, {"ticket_id": ticket, "params": {"note": "x"},
                                        "started_by": "bob"})
    assert r.status_code == 400 and "error" in r.json()
    r = live.post("alice", GATED_RUNS, {"ticket_id": ticket,
                                        "params": {"note": "x", "started_by": "bob"}})
    assert r.status_code == 422 and r.json()["param"] == "started_by"
    assert live.get("alice", f"/api/v1/runs?ticket_id={ticket}").json()["runs"] == []
    r = live.post("alice", "/api/v1/runbooks/Runbooks/Named/runs",
                  {"ticket_id": ticket, "params": {"started_by": "bob"}},
                  headers={"X-Remote-User": "bob", "X-Forwarded-User": "bob",
                           "X-Hub-Actor": "bob"})
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["started_by"] == "alice"
    # the web form, with a started_by field and a param of that name
    web = live.login("alice")
    form = web.get(live.url + "/runbooks/Runbooks/Named", timeout=30).text
    r = web.post(live.url + "/runbooks/Runbooks/Named/runs", allow_redirects=False,
                 timeout=30, data={"csrf_token": csrf(form), "ticket_id": str(ticket),
                                   "started_by": "bob", "param.started_by": "bob"})
    assert r.status_code == 303 and r.headers["Location"].startswith("/runs/")
    from_web = int(r.headers["Location"].rsplit("/", 1)[1])
    # bob's idempotency key replayed by alice gives her nothing of bob's
    bobs = live.post("bob", GATED_RUNS, {"ticket_id": ticket, "params": {"note": "b"}},
                     headers={"Idempotency-Key": "k-1"}).json()
    again = live.post("alice", GATED_RUNS, {"ticket_id": ticket, "params": {"note": "a"}},
                      headers={"Idempotency-Key": "k-1"}).json()
    assert again["id"] != bobs["id"] and again["started_by"] == "alice"

    for rid in (run["id"], from_web, again["id"]):
        assert live.run("bob", rid)["started_by"] == "alice"
        digest = live.digest("alice", rid, 1)
        r = live.step("alice", rid, 1, "approve", {"plan_digest": digest})
        assert r.status_code == 403 and "someone other" in r.json()["error"]
        assert live.run("alice", rid)["steps"][0]["state"] == "planned"
    # the real approver still approves
    r = live.step("bob", run["id"], 1, "approve",
                  {"plan_digest": live.digest("bob", run["id"], 1)})
    assert r.status_code == 200, r.text
    assert r.json()["steps"][0]["approved_by"] == "bob"
    r = live.step("alice", run["id"], 1, "apply")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    # and bob cannot approve his own run
    r = live.step("bob", bobs["id"], 1, "approve",
                  {"plan_digest": live.digest("bob", bobs["id"], 1)})
    assert r.status_code == 403


# -- vector 8: an approval names the plan; skipping is no way around it -------------------
def test_an_approval_is_bound_to_the_plan_it_names(live: Live) -> None:
    ticket = live.ticket("alice")
    run = live.post("alice", GATED_RUNS, {"ticket_id": ticket, "params": {"note": "x"}}).json()
    rid = run["id"]
    shown = run["steps"][0]["plan_digest"]
    assert shown.startswith("sha256:") and run["steps"][0]["plan"]["changes"] == [
        "status: new -> stalled"]
    # the attack: approve without naming the plan, or naming another one
    r = live.step("bob", rid, 1, "approve")
    assert r.status_code == 422 and r.json()["param"] == "plan_digest"
    r = live.step("bob", rid, 1, "approve", {"plan_digest": "sha256:" + "0" * 64})
    assert r.status_code == 409 and r.json()["plan_digest"] == shown
    r = live.step("bob", rid, 1, "approve", {"plan_digest": 5})
    assert r.status_code == 400
    assert live.run("bob", rid)["steps"][0]["state"] == "planned"
    # the plan changes under the approver's eyes: the digest bob saw no longer approves
    r = live.call("alice", "PATCH", f"/api/v1/tickets/{ticket}", {"status": "open"})
    assert r.status_code == 200, r.text
    replanned = live.step("alice", rid, 1, "plan").json()["steps"][0]
    assert replanned["plan"]["changes"] == ["status: open -> stalled"]
    assert replanned["plan_digest"] != shown
    r = live.step("bob", rid, 1, "approve", {"plan_digest": shown})
    assert r.status_code == 409
    r = live.step("bob", rid, 1, "approve", {"plan_digest": replanned["plan_digest"]})
    assert r.status_code == 200 and r.json()["steps"][0]["state"] == "approved"
    # approved, then the plan changes again: the approval is gone, apply is refused
    live.call("alice", "PATCH", f"/api/v1/tickets/{ticket}", {"status": "resolved"})
    step = live.step("alice", rid, 1, "plan").json()["steps"][0]
    assert step["state"] == "planned" and step["approved_by"] is None
    r = live.step("alice", rid, 1, "apply")
    assert r.status_code == 409
    assert live.get("alice", f"/api/v1/tickets/{ticket}").json()["status"] == "resolved"
    r = live.step("dave", rid, 1, "approve", {"plan_digest": step["plan_digest"]})
    assert r.status_code == 200
    assert live.step("alice", rid, 1, "apply").json()["status"] == "completed"
    assert live.get("alice", f"/api/v1/tickets/{ticket}").json()["status"] == "stalled"


def test_skipping_a_gated_step_needs_a_reason_and_someone_else(live: Live) -> None:
    ticket = live.ticket("alice")
    rid = live.post("alice", GATED_RUNS, {"ticket_id": ticket,
                                          "params": {"note": "x"}}).json()["id"]
    # the attack: the starter skips the step nobody approved (and the run "completes")
    r = live.step("alice", rid, 1, "skip", {"reason": "not needed"})
    assert r.status_code == 403 and "error" in r.json()
    r = live.step("bob", rid, 1, "skip")
    assert r.status_code == 422 and r.json()["param"] == "reason"
    r = live.step("bob", rid, 1, "skip", {"reason": "   "})
    assert r.status_code == 422
    assert live.run("alice", rid)["status"] == "running"
    r = live.step("bob", rid, 1, "skip", {"reason": "done by hand at 14:02"})
    assert r.status_code == 200, r.text
    assert r.json()["steps"][0]["state"] == "skipped"
    history = live.get("alice", f"/api/v1/tickets/{ticket}/history").json()
    assert any("step 1 skipped by bob: done by hand at 14:02" in str(e["data"].get("body"))
               for e in history)
    # and the run says what happened: it finished, but a step did not run
    assert live.run("alice", rid)["status"] == "completed_with_skips"


# -- vector 6: secrets never reach events, history or run JSON ----------------------------
SECRET = "Hunter2-db-Pa55"
FILTERED = """\
```params
db_password: {required: true}
```

```op
name: Tell the ticket
action: ticket.comment
params: {body: "connecting with {{ params.db_password|%s }}"}
```
"""
BARE = """\
```params
db_password: {required: true}
host: {required: true}
```

```op
name: Tell the ticket
action: ticket.comment
params: {body: "db on {{ params.host }} with {{ params.db_password }}"}
approval: required
```

```op
name: Stall it
action: ticket.status
params: {status: stalled}
```
"""


def leaks(live: Live, ticket: int, run_id: int | None, *values: str) -> list[str]:
    """Where any of ``values`` shows up: the event store, the history, the run JSON."""
    places = {"events": live.event_text(),
              "history": live.get("admin", f"/api/v1/tickets/{ticket}/history").text}
    if run_id is not None:
        places["run"] = live.get("admin", f"/api/v1/runs/{run_id}").text
    return [f"{v!r} in {where}" for where, text in places.items() for v in values
            if v in text]


@pytest.mark.parametrize("expression", [
    "upper", "lower", "replace('5', 'S')", "trim", "first", "string"])
def test_a_filter_on_a_secret_parameter_is_refused_before_it_is_stored(
        live: Live, expression: str) -> None:
    live.save_runbook("Runbooks", "Filtered", FILTERED % expression)
    ticket = live.ticket("alice")
    r = live.post("alice", "/api/v1/runbooks/Runbooks/Filtered/runs",
                  {"ticket_id": ticket, "params": {"db_password": SECRET}})
    assert r.status_code == 422, r.text
    assert r.json()["param"] == "db_password" and "secret" in r.json()["error"]
    assert leaks(live, ticket, None, SECRET, SECRET.upper(), SECRET.lower(),
                 SECRET.replace("5", "S"), SECRET[0] + " ") == []
    assert live.get("alice", f"/api/v1/runs?ticket_id={ticket}").json()["runs"] == []


@pytest.mark.parametrize("template", [
    "{{ params }}", "{{ params|first }}", "{{ params.db_password ~ '' }}",
    "{{ params.db_password[1:] }}", "{{ params['db_password']|upper }}",
    "{{ 'y' if params.db_password else 'n' }}"])
def test_any_expression_on_a_secret_parameter_is_refused(live: Live, template: str) -> None:
    text = FILTERED.replace("{{ params.db_password|%s }}", template)
    live.save_runbook("Runbooks", "Expr", text)
    ticket = live.ticket("alice")
    r = live.post("alice", "/api/v1/runbooks/Runbooks/Expr/runs",
                  {"ticket_id": ticket, "params": {"db_password": SECRET}})
    assert r.status_code == 422, (template, r.text)
    assert leaks(live, ticket, None, SECRET, SECRET[1:], SECRET.upper()) == []


def test_secrets_stay_out_of_outputs_reasons_and_suggestions(live: Live) -> None:
    live.save_runbook("Runbooks", "Bare", BARE)
    ticket = live.ticket("alice")
    token = "tok-9f8e7d6c5b4a3210"
    # the positive path: a bare secret renders and is masked wherever it is stored
    run = live.post("alice", "/api/v1/runbooks/Runbooks/Bare/runs",
                    {"ticket_id": ticket,
                     "params": {"db_password": SECRET, "host": "db1"}}).json()
    rid = run["id"]
    assert run["params"]["db_password"] == "********"
    assert run["steps"][0]["params"]["body"] == "db on db1 with ********"
    # reasons typed by people carry credentials: skip and abort reasons are masked
    r = live.step("bob", rid, 1, "skip", {"reason": f"used password={SECRET} by hand"})
    assert r.status_code == 200, r.text
    r = live.post("bob", f"/api/v1/runs/{rid}/abort",
                  {"reason": f"stop; header was Bearer {token}"})
    assert r.status_code == 200 and r.json()["status"] == "aborted"
    # a suggestion's reason quoting its own secret parameter
    r = live.post("admin", "/api/v1/runbooks/Runbooks/Bare/suggestions",
                  {"ticket_id": ticket, "params": {"db_password": SECRET, "host": "db2"},
                   "reason": f"alert said the db password {SECRET} expired"})
    assert r.status_code == 201, r.text
    suggested = live.get("alice", f"/api/v1/runs?ticket_id={ticket}").json()["suggestions"]
    assert suggested and "********" in suggested[0]["reason"]
    assert leaks(live, ticket, rid, SECRET, token) == []
    texts = [str(e["data"].get("body")) for e in
             live.get("admin", f"/api/v1/tickets/{ticket}/history").json()]
    assert any("password=********" in t for t in texts)
    assert any("Bearer ********" in t for t in texts)


# -- vector 2: runs answer as GET /api/v1/tickets/{id} would ------------------------------
HINT = """\
```op
name: Note the hint
action: ticket.comment
params: {body: "hint is {{ ticket.fields.root_hint }}"}
```

```op
name: Stall it
action: ticket.status
params: {status: stalled}
approval: required
```
"""
PLAIN = """\
```op
name: Stall it
action: ticket.status
params: {status: stalled}
approval: required
```
"""
HINT_VALUE = "under-the-mat-42"


def test_runs_of_a_ticket_the_caller_cannot_open_do_not_exist_for_them(live: Live) -> None:
    live.admin("/api/v1/queues", {"name": "Vault", "custom_fields": [
        {"name": "root_hint", "type": "text", "internal": True}]})
    full = ("SeeQueue", "ShowTicket", "CreateTicket", "ModifyTicket", "CommentOnTicket",
            "ShowTicketComments", "ModifyCustomField", "SeeInternalFields")
    for right in full:
        live.grant(right, "Vault", "user:bob")
    for right in full[:-1]:  # dave sees the tickets, not the internal fields
        live.grant(right, "Vault", "user:dave")
    live.save_runbook("Runbooks", "Hint", HINT)
    live.save_runbook("Runbooks", "Plain", PLAIN)
    ticket = live.ticket("bob", "Vault", "root access", {"root_hint": HINT_VALUE})
    assert live.get("alice", f"/api/v1/tickets/{ticket}").status_code == 404

    # {{ ticket.X }} of an internal field renders only for SeeInternalFields holders
    r = live.post("dave", "/api/v1/runbooks/Runbooks/Hint/runs", {"ticket_id": ticket})
    assert r.status_code == 422 and HINT_VALUE not in r.text
    r = live.post("alice", "/api/v1/runbooks/Runbooks/Hint/runs", {"ticket_id": ticket})
    assert r.status_code == 404 and HINT_VALUE not in r.text
    r = live.post("bob", "/api/v1/runbooks/Runbooks/Hint/runs", {"ticket_id": ticket})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert HINT_VALUE in live.get("bob", f"/api/v1/runs/{rid}").text
    r = live.post("admin", "/api/v1/runbooks/Runbooks/Plain/suggestions",
                  {"ticket_id": ticket, "reason": "vault drill"})
    assert r.status_code == 201

    # alice, staff without rights on Vault: the run and its plan do not exist for her
    r = live.get("alice", f"/api/v1/runs/{rid}")
    assert r.status_code == 404 and "error" in r.json() and HINT_VALUE not in r.text
    listed = live.get("alice", "/api/v1/runs")
    assert listed.status_code == 200 and rid not in [x["id"] for x in listed.json()["runs"]]
    r = live.get("alice", f"/api/v1/runs?ticket_id={ticket}")
    assert r.status_code == 404 and "vault drill" not in r.text
    r = live.get("alice", "/api/v1/runs?runbook=Runbooks.Hint")
    assert r.json()["runs"] == []
    for action, body in (("approve", {"plan_digest": "sha256:x"}), ("plan", {}),
                         ("skip", {"reason": "mine now"}), ("apply", {})):
        r = live.step("alice", rid, 2, action, body)
        assert r.status_code == 404, (action, r.text)
    assert live.post("alice", f"/api/v1/runs/{rid}/abort", {"reason": "x"}).status_code == 404
    web = live.login("alice")
    page = web.get(f"{live.url}/runs/{rid}", timeout=30)
    assert page.status_code == 404 and HINT_VALUE not in page.text
    listing = web.get(f"{live.url}/runbooks/Runbooks/Hint", timeout=30)
    assert listing.status_code == 200 and f"/runs/{rid}" not in listing.text
    # the customer never sees runs
    r = live.get("carol", f"/api/v1/runs/{rid}")
    assert r.status_code in (403, 404) and HINT_VALUE not in r.text
    assert live.get("carol", "/api/v1/runs").status_code == 403

    # dave sees the run, without the internal field's value; he can still approve
    seen = live.get("dave", f"/api/v1/runs/{rid}")
    assert seen.status_code == 200 and HINT_VALUE not in seen.text
    assert rid in [x["id"] for x in live.get("dave", "/api/v1/runs").json()["runs"]]
    assert HINT_VALUE not in live.get("dave", "/api/v1/runs").text
    digest = seen.json()["steps"][1]["plan_digest"]
    assert live.step("dave", rid, 2, "approve", {"plan_digest": digest}).status_code == 200
    assert live.step("bob", rid, 1, "apply").status_code == 200
    done = live.step("bob", rid, 2, "apply")
    assert done.status_code == 200 and done.json()["status"] == "completed"
