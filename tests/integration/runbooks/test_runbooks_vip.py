"""A run fails a VIP over between two namespaces; a client in a third one follows it."""

from __future__ import annotations

from runbooks_support import Env
from test_ops_vip import VIP, Topology

RUNBOOK = """\
```params
to: {type: choice, choices: [A, B, C]}
```

```op
name: Move the web VIP
action: vip.failover
params: {vip: web-vip, to: "{{ params.to }}"}
approval: required
```
"""
RUNS = "/api/v1/runbooks/Runbooks/VipFailover/runs"


def configure(env: Env, top: Topology) -> None:
    hosts = {r: {"ifname": "eth0", "netns": top.ns[r]} for r in ("A", "B")}
    env.configure(extra={"vips": {"web-vip": {"address": VIP, "prefixlen": 24,
                                              "hosts": hosts}}})
    env.save_runbook("Runbooks", "VipFailover", RUNBOOK)


def test_failover_run_moves_the_vip_and_the_client_follows(env: Env,
                                                           topology: Topology) -> None:
    configure(env, topology)
    assert topology.fetch() == "A"
    ticket = env.ticket("web VIP drill")
    r = env.post("alice", RUNS, {"ticket_id": ticket, "params": {"to": "B"}})
    assert r.status_code == 201, r.get_data()
    run = r.get_json()
    plan = run["steps"][0]["plan"]
    assert plan["current"] == {"holders": ["A"]}
    assert plan["changes"][0] == f"remove {VIP} from A (eth0)"
    assert env.approve("alice", run["id"], 1).status_code == 403
    assert env.approve("bob", run["id"], 1).status_code == 200
    r = env.post("alice", f"/api/v1/runs/{run['id']}/steps/1/apply")
    assert r.status_code == 200, r.get_data()
    done = r.get_json()
    assert done["status"] == "completed", done
    assert f"{VIP} moved from A to B" in done["steps"][0]["output"]
    assert f"{VIP} is on B only" in done["steps"][0]["output"]
    assert topology.fetch() == "B"
    assert topology.mac("B") in topology.client_neigh()
    text = "\n".join(env.runbook_comments(ticket))
    assert "approved by bob" in text and "verified" in text

    # C is no host of the VIP: refused before anything runs
    r = env.post("alice", RUNS, {"ticket_id": ticket, "params": {"to": "C"}})
    assert r.status_code == 422 and "not a host" in r.get_json()["error"]

    back = env.post("bob", RUNS, {"ticket_id": ticket, "params": {"to": "A"}}).get_json()
    assert env.approve("alice", back["id"], 1).status_code == 200
    r = env.post("bob", f"/api/v1/runs/{back['id']}/steps/1/apply")
    assert r.get_json()["status"] == "completed", r.get_data()
    assert topology.fetch() == "A"
