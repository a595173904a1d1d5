"""Runs of a drain runbook against a real HAProxy: approvals, leases, timeouts, codes."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from typing import Any

from ops_support import HaproxyEnv, wait_for
from runbooks_support import Env

from hub.db import WRITE
from hub.drivers.haproxy import HaproxyClient
from hub.runbooks import leases

RUNBOOK = """\
Take a web node out of the pool.

```params
node: {type: string, required: true, pattern: "[a-z0-9]+"}
```

```op
name: Drain the node
action: lb.drain
params: {pool: web, server: "{{ params.node }}"}
approval: required
```

```op
name: Tell the ticket
action: ticket.comment
params: {body: "{{ params.node }} is out of the pool (ticket {{ ticket.id }})"}
```
"""

SLOW_RUNBOOK = """\
```op
name: Drain and wait for sessions
action: lb.drain
params: {pool: web, server: "{{ params.node }}", wait_timeout: 60}
timeout: 2
```
"""

RUNS = "/api/v1/runbooks/Runbooks/DrainWebNode/runs"


def fetch(port: int, path: str = "/") -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def spread(port: int, n: int = 30) -> Counter[str]:
    return Counter(fetch(port) for _ in range(n))


def setup(env: Env, lb: HaproxyEnv) -> None:
    env.configure(extra={"lb_pools": [{
        "name": "web", "driver": "haproxy", "members": lb.servers,
        "haproxy": {"socket": lb.socket_path, "backend": lb.backend}}]})
    env.save_runbook("Runbooks", "DrainWebNode", RUNBOOK)
    env.save_runbook("Runbooks", "SlowDrain", SLOW_RUNBOOK)


def step_post(env: Env, user: str, run_id: int, n: int, action: str) -> Any:
    if action == "approve":
        return env.approve(user, run_id, n)
    body = {"reason": f"{user} says so"} if action == "skip" else {}
    return env.post(user, f"/api/v1/runs/{run_id}/steps/{n}/{action}", body)


def test_drain_run_with_approval_changes_haproxy_and_the_ticket(env: Env,
                                                                lb: HaproxyEnv) -> None:
    setup(env, lb)
    port = lb.frontend_port
    assert set(spread(port, 9)) == {"s1", "s2", "s3"}
    ticket = env.ticket()
    r = env.post("alice", RUNS, {"ticket_id": ticket, "params": {"node": "s2"}})
    assert r.status_code == 201, r.get_data()
    run = r.get_json()
    assert r.headers["Location"] == f"/api/v1/runs/{run['id']}"
    assert {"id", "runbook", "revision", "ticket_id", "status", "steps"} <= set(run)
    assert (run["runbook"], run["ticket_id"], run["status"]) == (
        "Runbooks.DrainWebNode", ticket, "running")
    assert [s["n"] for s in run["steps"]] == [1, 2]
    first = run["steps"][0]
    assert {"n", "name", "action", "state", "plan", "output", "approved_by"} <= set(first)
    assert first["state"] == "planned" and first["approved_by"] is None
    assert first["plan"]["changes"] == ["web/s2: state -> drain"]
    rid = run["id"]

    assert step_post(env, "alice", rid, 1, "apply").status_code == 409  # not approved
    assert step_post(env, "alice", rid, 2, "apply").status_code == 409  # step 1 first
    assert step_post(env, "alice", rid, 1, "approve").status_code == 403  # own run
    assert step_post(env, "carol", rid, 1, "approve").status_code == 403  # no right
    r = step_post(env, "bob", rid, 1, "approve")
    assert r.status_code == 200, r.get_data()
    assert r.get_json()["steps"][0]["state"] == "approved"
    assert r.get_json()["steps"][0]["approved_by"] == "bob"
    assert step_post(env, "bob", rid, 1, "approve").status_code == 409  # already
    assert step_post(env, "carol", rid, 1, "apply").status_code == 403

    r = step_post(env, "alice", rid, 1, "apply")
    assert r.status_code == 200, r.get_data()
    step = r.get_json()["steps"][0]
    assert step["state"] == "verified", step
    assert "web/s2 set to drain" in step["output"]
    counts = spread(port, 30)
    assert "s2" not in counts and sum(counts.values()) == 30
    assert env.leases() == []  # released after verify

    assert step_post(env, "alice", rid, 1, "apply").status_code == 409
    assert step_post(env, "alice", rid, 1, "skip").status_code == 409
    assert step_post(env, "bob", rid, 2, "approve").status_code == 409  # needs none
    r = step_post(env, "alice", rid, 2, "apply")
    assert r.status_code == 200, r.get_data()
    assert r.get_json()["status"] == "completed"
    assert r.get_json()["steps"][1]["state"] == "verified"

    notes = env.runbook_comments(ticket)
    text = "\n".join(notes)
    for needle in ("started by alice", "step 1 (Drain the node) planned",
                   "approved by bob", "being applied by alice", "applied: web/s2 set to drain",
                   "verified:", f"s2 is out of the pool (ticket {ticket})",
                   "The run is complete"):
        assert needle in text, needle
    assert all(e["actor"] in ("alice", "bob") for e in env.history(ticket)
               if e["type"] == "TicketCommented")
    assert env.get("alice", f"/api/v1/runs/{rid}").get_json()["status"] == "completed"
    assert env.get("carol", f"/api/v1/runs/{rid}").status_code == 403


def test_contract_error_codes(env: Env, lb: HaproxyEnv) -> None:
    setup(env, lb)
    ticket = env.ticket()
    assert env.client.post(RUNS, json={"params": {"node": "s1"}}).status_code == 401
    cases = [
        ({"params": {"node": "s9"}}, 422),             # not a pool member
        ({"params": {"node": "S;1"}}, 422),            # pattern
        ({"params": {}}, 422),                         # required
        ({"params": {"node": "s1", "extra": "x"}}, 422),  # undeclared
        ({"params": {"node": "s1"}}, 422),             # ticket.comment needs a ticket
        ({"params": {"node": "s1"}, "ticket_id": 99999}, 404),
        ({"params": {"node": "s1"}, "ticket_id": True}, 400),
        ({"params": "node=s1"}, 400),
        ({"params": {"node": "s1"}, "bogus": 1}, 400),
    ]
    for body, status in cases:
        r = env.post("alice", RUNS, body)
        assert r.status_code == status, (body, r.get_data())
        assert "error" in r.get_json()
    assert env.post("carol", RUNS, {"ticket_id": ticket,
                                    "params": {"node": "s1"}}).status_code == 403
    assert env.post("alice", "/api/v1/runbooks/Runbooks/Nope/runs",
                    {"params": {}}).status_code == 404
    assert env.post("alice", "/api/v1/runbooks/Run..books/X/runs",
                    {"params": {}}).status_code in (404, 422)
    r = env.post("alice", RUNS, {"ticket_id": ticket, "params": {"node": "s1"}})
    rid = r.get_json()["id"]
    assert env.get("alice", "/api/v1/runs/424242").status_code == 404
    assert step_post(env, "bob", rid, 7, "approve").status_code == 404
    assert step_post(env, "bob", 424242, 1, "approve").status_code == 404
    assert step_post(env, "bob", rid, 1, "explode").status_code == 400
    assert step_post(env, "carol", rid, 1, "skip").status_code == 403
    assert step_post(env, "alice", rid, 1, "skip").status_code == 403  # gated, her own run
    r = step_post(env, "bob", rid, 1, "skip")
    assert r.status_code == 200 and r.get_json()["steps"][0]["state"] == "skipped"
    assert step_post(env, "alice", rid, 1, "skip").status_code == 409
    assert step_post(env, "bob", rid, 1, "approve").status_code == 409
    r = env.post("alice", f"/api/v1/runs/{rid}/abort", {"reason": "drill over"})
    assert r.status_code == 200 and r.get_json()["status"] == "aborted"
    assert step_post(env, "alice", rid, 2, "apply").status_code == 409
    assert env.post("alice", f"/api/v1/runs/{rid}/abort").status_code == 409


def test_timeout_fails_the_step_keeps_the_lease_and_offers_the_inverse(
        env: Env, lb: HaproxyEnv, slow_release: threading.Event) -> None:
    setup(env, lb)
    client = HaproxyClient(lb.socket_path)
    port = lb.frontend_port
    # one request parked on every server (round robin), so s2 keeps a session open
    parked = [threading.Thread(target=fetch, args=(port, "/slow"), daemon=True)
              for _ in range(3)]
    for t in parked:
        t.start()
    wait_for(lambda: client.current_sessions("web", "s2") == 1, what="a session on s2")
    ticket = env.ticket()
    slow = env.post("alice", "/api/v1/runbooks/Runbooks/SlowDrain/runs",
                    {"ticket_id": ticket, "params": {}})
    assert slow.status_code == 422  # node is not declared: templates only see declared params
    env.save_runbook("Runbooks", "SlowDrain", "```params\nnode: {required: true}\n```\n"
                     + SLOW_RUNBOOK)
    r = env.post("alice", "/api/v1/runbooks/Runbooks/SlowDrain/runs",
                 {"ticket_id": ticket, "params": {"node": "s2"}})
    assert r.status_code == 201, r.get_data()
    first = r.get_json()["id"]
    r = step_post(env, "alice", first, 1, "apply")
    assert r.status_code == 200, r.get_data()
    run = r.get_json()
    step = run["steps"][0]
    assert run["status"] == "failed" and step["state"] == "failed"
    assert "timed out after 2s" in step["error"]
    assert step["inverse"] == {"action": "lb.ready", "params": {"pool": "web", "server": "s2"}}
    assert "FAILED in timeout" in "\n".join(env.runbook_comments(ticket))

    # the drain is still waiting in the background: its lease still holds s2
    [held] = env.leases()
    assert held.resource == "lb:web/s2" and f"run #{first}" in held.holder
    other = env.post("bob", RUNS, {"ticket_id": ticket, "params": {"node": "s2"}}).get_json()
    assert step_post(env, "alice", other["id"], 1, "approve").status_code == 200
    r = step_post(env, "bob", other["id"], 1, "apply")
    assert r.status_code == 409
    assert r.get_json()["resource"] == "lb:web/s2"
    assert f"run #{first}" in r.get_json()["holder"] and "alice" in r.get_json()["error"]
    assert step_post(env, "alice", first, 1, "inverse").status_code == 409  # still locked

    slow_release.set()  # the parked request ends, the drain finishes, the lease goes
    for t in parked:
        t.join(30)
    wait_for(lambda: env.leases() == [], timeout=30, what="the late lease release")
    r = step_post(env, "alice", first, 1, "inverse")
    assert r.status_code == 200, r.get_data()
    assert r.get_json()["steps"][0]["inverse_done"] is True
    assert "s2" in spread(port, 9)
    assert step_post(env, "alice", first, 1, "inverse").status_code == 409  # done once
    # s2 is ready again, so the second run's approved plan ("already drained") is stale:
    # applying refuses, records the new plan and asks for a new approval
    r = step_post(env, "bob", other["id"], 1, "apply")
    assert r.status_code == 409 and "plan changed" in r.get_json()["error"]
    step = env.get("bob", f"/api/v1/runs/{other['id']}").get_json()["steps"][0]
    assert step["state"] == "planned" and step["plan"]["changes"] == ["web/s2: state -> drain"]
    assert step_post(env, "alice", other["id"], 1, "approve").status_code == 200
    r = step_post(env, "bob", other["id"], 1, "apply")
    assert r.status_code == 200 and r.get_json()["steps"][0]["state"] == "verified"


def test_a_person_holding_the_resource_blocks_runs_until_released(env: Env,
                                                                   lb: HaproxyEnv) -> None:
    setup(env, lb)
    ticket = env.ticket()
    with env.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        token = leases.acquire(conn, ["lb:web/s1"], "dave replacing a disk (by hand)", 600)
    run = env.post("alice", RUNS, {"ticket_id": ticket, "params": {"node": "s1"}}).get_json()
    assert step_post(env, "bob", run["id"], 1, "approve").status_code == 200
    r = step_post(env, "alice", run["id"], 1, "apply")
    assert r.status_code == 409 and "dave replacing a disk" in r.get_json()["error"]
    with env.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        assert leases.release(conn, token + 1000) == 0  # a stale fence releases nothing
        assert leases.release(conn, token) == 1
    r = step_post(env, "alice", run["id"], 1, "apply")
    assert r.status_code == 200 and r.get_json()["steps"][0]["state"] == "verified"
    with env.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        later = leases.acquire(conn, ["lb:web/s1"], "x", 600)
    assert later > token  # fencing tokens only grow
