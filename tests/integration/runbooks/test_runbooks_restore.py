"""Restore runs with real rsync from a hard-linked snapshot tree; escapes are 422."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from runbooks_support import Env
from test_ops_restore import hardlink_tree

RUNBOOK = """\
```params
path: {required: true}
target: {required: true}
snapshot: {default: latest}
```

```op
name: Restore from the backup
action: backup.restore
params:
  host: web1
  path: "{{ params.path }}"
  target: "{{ params.target }}"
  snapshot: "{{ params.snapshot }}"
timeout: 120
```
"""
RUNS = "/api/v1/runbooks/Runbooks/Restore/runs"


@pytest.fixture
def store(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "backups"
    old = root / "web1" / "2024-01-01"
    (old / "etc" / "app").mkdir(parents=True)
    (old / "etc" / "app" / "app.conf").write_text("listen 80\n")
    new = root / "web1" / "2024-01-02"
    hardlink_tree(old, new)
    (new / "etc" / "app" / "app.conf").unlink()
    (new / "etc" / "app" / "app.conf").write_text("listen 8080\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret\n")
    os.symlink(outside / "secret", new / "etc" / "app" / "evil.conf")
    target = tmp_path / "restore"
    target.mkdir()
    return {"root": root, "target": target, "outside": outside, "tmp": tmp_path}


def start(env: Env, ticket: int, **params: str) -> tuple[int, dict[str, object]]:
    r = env.post("alice", RUNS, {"ticket_id": ticket, "params": params})
    return r.status_code, r.get_json()


def test_restore_run_and_every_escape(env: Env, store: dict[str, Path]) -> None:
    env.configure(backup_root=store["root"], restore_targets=(store["target"],))
    env.save_runbook("Runbooks", "Restore", RUNBOOK)
    ticket = env.ticket("app.conf lost on web1")
    target = str(store["target"])
    status, run = start(env, ticket, path="/etc/app/app.conf", target=target)
    assert status == 201, run
    steps = run["steps"]
    assert isinstance(steps, list)
    assert steps[0]["plan"]["changes"] == ["create file app.conf"]
    r = env.post("bob", f"/api/v1/runs/{run['id']}/steps/1/apply")
    assert r.status_code == 200, r.get_data()
    assert r.get_json()["status"] == "completed"
    assert "1 file(s) match the snapshot" in r.get_json()["steps"][0]["output"]
    assert (store["target"] / "etc/app/app.conf").read_text() == "listen 8080\n"

    refused = [
        {"path": "../outside/secret", "target": target},
        {"path": "/etc/../../2024-01-01/etc/app/app.conf", "target": target},
        {"path": "/etc/app/app.conf", "target": str(store["outside"])},
        {"path": "/etc/app/app.conf", "target": "/"},
        {"path": "/etc/app/app.conf", "target": "restore"},
        {"path": "/etc/app/app.conf", "target": target + "/../outside"},
        {"path": "/etc/app/app.conf", "target": target, "snapshot": ".."},
        {"path": "/etc/app/app.conf", "target": target, "snapshot": "../web1/2024-01-01"},
    ]
    for params in refused:
        status, body = start(env, ticket, **params)
        assert status == 422, (params, body)

    # a symlink in the snapshot leading outside passes the static checks, not the driver's
    status, run = start(env, ticket, path="/etc/app/evil.conf", target=target)
    assert status == 201
    step = run["steps"][0]  # type: ignore[index]
    assert step["plan"] is None and "not allowed" in step["plan_error"]
    assert step["state"] == "failed" and run["status"] == "failed"  # never "planned"
    rid = run["id"]
    assert env.post("bob", f"/api/v1/runs/{rid}/steps/1/plan").status_code == 422
    r = env.post("bob", f"/api/v1/runs/{rid}/steps/1/apply")
    assert r.status_code == 409, r.get_data()  # a failed plan cannot be applied
    assert "its plan failed: not allowed" in r.get_json()["error"]
    failed = env.get("bob", f"/api/v1/runs/{rid}").get_json()
    assert failed["status"] == "failed" and failed["steps"][0]["inverse"] is None
    assert env.post("bob", f"/api/v1/runs/{rid}/steps/1/inverse").status_code == 409
    assert sorted(p.name for p in store["outside"].iterdir()) == ["secret"]
    assert not (store["target"] / "etc/app/evil.conf").exists()
    assert env.leases() == []
