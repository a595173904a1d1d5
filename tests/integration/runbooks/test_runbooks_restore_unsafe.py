"""A restore as root must not plant devices, FIFOs, sockets, setuid files or escaping
symlinks in the target: the plan refuses such a snapshot (listing the entries), and
rsync itself runs without devices, specials, owners, groups and setuid/setgid bits.
Real snapshot trees, real rsync, a real ``hub serve``.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from runbooks_server import Live, start_live

from hub.drivers.restore import BackupRestore, RestoreSpec

RUNBOOK = """\
```params
path: {required: true}
target: {required: true}
```

```op
name: Restore from the backup
action: backup.restore
params: {host: web1, path: "{{ params.path }}", target: "{{ params.target }}"}
timeout: 120
```
"""
RUNS = "/api/v1/runbooks/Runbooks/Restore/runs"


def _bind_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    finally:
        sock.close()


def hostile_tree(app: Path, outside: Path) -> dict[str, bool]:
    """A snapshot of a compromised host; returns which kinds could be made here."""
    app.mkdir(parents=True)
    (app / "app.conf").write_text("listen 80\n")
    (app / "shell").write_bytes(b"#!/bin/sh\nexec /bin/sh\n")
    os.chmod(app / "shell", 0o4755)
    (app / "group-tool").write_text("x\n")
    os.chmod(app / "group-tool", 0o2755)
    os.mkfifo(app / "pipe")
    _bind_socket(app / "control.sock")
    made = {"device": True}
    try:
        os.mknod(app / "disk", 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    except PermissionError:
        made["device"] = False
    os.symlink(outside / "secret", app / "escape")
    os.symlink("../../other/file", app / "sideways")  # in the snapshot, not the tree
    (app.parent.parent / "other").mkdir(exist_ok=True)
    (app.parent.parent / "other" / "file").write_text("not restored\n")
    return made


@pytest.fixture
def store(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "backups"
    snap = root / "web1" / "2024-01-01"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret\n")
    target = tmp_path / "restore"
    target.mkdir()
    return {"root": root, "snap": snap, "target": target, "outside": outside}


@pytest.fixture
def live(tmp_path: Path, store: dict[str, Path]) -> Iterator[Live]:
    live = start_live(tmp_path, {"HUB_BACKUP_ROOT": str(store["root"]),
                                 "HUB_RESTORE_TARGETS": str(store["target"])})
    live.save_runbook("Runbooks", "Restore", RUNBOOK)
    yield live
    live.server.stop()
    live.hub.engine.dispose()


def created(target: Path) -> list[str]:
    return sorted(str(p.relative_to(target)) for p in target.rglob("*"))


def test_a_hostile_snapshot_is_refused_with_every_entry_listed(
        live: Live, store: dict[str, Path]) -> None:
    made = hostile_tree(store["snap"] / "srv" / "app", store["outside"])
    ticket = live.ticket("alice", subject="app lost on web1")
    r = live.post("alice", RUNS, {"ticket_id": ticket, "params": {
        "path": "/srv/app", "target": str(store["target"])}})
    assert r.status_code == 201, r.text
    run = r.json()
    step = run["steps"][0]
    assert step["plan"] is None and step["plan_digest"] is None
    error = step["plan_error"]
    for entry in ("shell (setuid file)", "group-tool (setgid file)", "pipe (FIFO)",
                  "control.sock (socket)", "sideways (symlink leaving the restored tree)"):
        assert entry in error, (entry, error)
    if made["device"]:
        assert "disk (device node)" in error
    assert "symlink srv/app/escape points outside the snapshot" in error
    r = live.step("alice", run["id"], 1, "plan")
    assert r.status_code == 422 and "setuid" in r.json()["error"]
    assert step["state"] == "failed" and run["status"] == "failed"  # a failed plan
    r = live.step("alice", run["id"], 1, "apply")
    assert r.status_code == 409 and "its plan failed" in r.json()["error"], r.text
    assert "setuid" in r.json()["plan_error"]
    assert created(store["target"]) == []  # nothing at all was written
    if not made["device"]:
        pytest.skip("mknod of a block device is not permitted here (not root or no "
                    "CAP_MKNOD): the device-node case was not exercised")


def test_a_clean_snapshot_restores_without_set_id_bits(
        live: Live, store: dict[str, Path]) -> None:
    app = store["snap"] / "srv" / "app"
    (app / "conf.d").mkdir(parents=True)
    (app / "conf.d" / "a.conf").write_text("a\n")
    os.chmod(app / "conf.d", 0o2775)  # a setgid directory is allowed, but not copied as such
    os.symlink("conf.d/a.conf", app / "current.conf")  # stays inside the restored tree
    ticket = live.ticket("alice", subject="app lost on web1")
    run = live.post("alice", RUNS, {"ticket_id": ticket, "params": {
        "path": "/srv/app", "target": str(store["target"])}}).json()
    assert run["steps"][0]["plan_error"] is None, run
    r = live.step("alice", run["id"], 1, "apply")
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    dest = store["target"] / "srv" / "app"
    assert (dest / "conf.d" / "a.conf").read_text() == "a\n"
    assert os.readlink(dest / "current.conf") == "conf.d/a.conf"
    for path in [dest, *dest.rglob("*")]:
        assert not path.lstat().st_mode & (stat.S_ISUID | stat.S_ISGID), path


def test_rsync_itself_drops_devices_specials_owners_and_set_id_bits(
        tmp_path: Path, store: dict[str, Path]) -> None:
    """The second line of defence, below the plan's checks: the rsync call itself."""
    made = hostile_tree(store["snap"] / "srv" / "app", store["outside"])
    if os.geteuid() == 0:
        os.chown(store["snap"] / "srv" / "app" / "app.conf", 4242, 4242)
    op = BackupRestore(store["root"], [store["target"]])
    spec = RestoreSpec(source=store["snap"] / "srv" / "app",
                       dest=store["target"] / "srv" / "app",
                       snapshot_dir=store["snap"], is_dir=True)
    op._rsync(spec, dry_run=False)  # no plan checks, no post-fix: rsync's flags alone
    dest = spec.dest
    assert (dest / "app.conf").read_text() == "listen 80\n"
    for name in ("pipe", "control.sock", "disk"):
        assert not os.path.lexists(dest / name), name
    for name in ("shell", "group-tool"):
        mode = (dest / name).lstat().st_mode
        assert stat.S_ISREG(mode) and not mode & (stat.S_ISUID | stat.S_ISGID), name
    if os.geteuid() == 0:
        assert (dest / "app.conf").stat().st_uid == 0  # --no-owner: not uid 4242
    if not made["device"]:
        pytest.skip("mknod not permitted: device nodes were not exercised")
