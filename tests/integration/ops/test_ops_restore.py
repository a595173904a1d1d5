"""BackupRestore with real rsync against a hard-linked, rsnapshot-style tree."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hub.drivers.base import Plan, TargetNotAllowedError, VerifyError
from hub.drivers.restore import BackupRestore

pytestmark = pytest.mark.skipif(
    shutil.which("rsync") is None, reason="rsync binary not installed (Debian package 'rsync')"
)


def hardlink_tree(src: Path, dst: Path) -> None:
    """What rsnapshot does between rotations: a new tree sharing inodes (cp -al)."""
    for dirpath, _dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            s = Path(dirpath) / name
            if s.is_symlink():
                os.symlink(os.readlink(s), dst / rel / name)
            else:
                os.link(s, dst / rel / name)


@pytest.fixture
def store(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "backups"
    old = root / "web1" / "2024-01-01"
    (old / "etc" / "app" / "conf.d").mkdir(parents=True)
    (old / "etc" / "app" / "app.conf").write_text("listen 80\n")
    (old / "etc" / "app" / "conf.d" / "a.conf").write_text("a=1\n")
    (old / "etc" / "app" / "conf.d" / "b.conf").write_text("b=1\n")
    os.symlink("a.conf", old / "etc" / "app" / "conf.d" / "current.conf")
    new = root / "web1" / "2024-01-02"
    hardlink_tree(old, new)
    # rotate one file the way rsync does (new inode), the rest stay hard-linked
    (new / "etc" / "app" / "app.conf").unlink()
    (new / "etc" / "app" / "app.conf").write_text("listen 8080\n")
    assert (new / "etc/app/conf.d/a.conf").stat().st_ino == (old / "etc/app/conf.d/a.conf").stat(
    ).st_ino
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret\n")
    target = tmp_path / "restore"
    target.mkdir()
    return {"root": root, "old": old, "new": new, "target": target, "outside": outside,
            "tmp": tmp_path}


def op(store: dict[str, Path]) -> BackupRestore:
    return BackupRestore(store["root"], [store["target"]])


def test_restore_file_from_latest(store: dict[str, Path]) -> None:
    restore = op(store)
    params = {"host": "web1", "path": "/etc/app/app.conf", "target": str(store["target"])}
    plan = restore.plan(params)
    assert not plan.noop
    assert plan.changes == ["create file app.conf"]
    dest = store["target"] / "etc" / "app" / "app.conf"
    assert not dest.exists()
    with pytest.raises(VerifyError):
        restore.verify(params)
    restore.apply(params, plan)
    assert dest.read_text() == "listen 8080\n"  # the lexicographically newest snapshot
    restore.verify(params)
    assert restore.plan(params).noop
    assert restore.inverse(params) is None

    dest.write_text("listen 9090\n")  # same size+mtime tricks don't matter: --checksum
    os.utime(dest, (0, 0))
    assert restore.plan(params).changes and "app.conf" in restore.plan(params).changes[0]
    with pytest.raises(VerifyError):
        restore.verify(params)


def test_restore_directory_named_snapshot_and_latest_link(store: dict[str, Path]) -> None:
    restore = op(store)
    params = {"host": "web1", "path": "/etc/app", "snapshot": "2024-01-01",
              "target": str(store["target"])}
    plan = restore.plan(params)
    assert "create file app.conf" in plan.changes
    assert "create file conf.d/a.conf" in plan.changes
    assert "create directory conf.d/" in plan.changes
    assert any(c.startswith("create symlink conf.d/current.conf") for c in plan.changes)
    out = restore.apply(params, plan)
    assert out.data["changes"]
    restored = store["target"] / "etc" / "app"
    assert (restored / "app.conf").read_text() == "listen 80\n"
    assert os.readlink(restored / "conf.d" / "current.conf") == "a.conf"
    assert restore.verify(params).data["files"] == 3

    # an explicit `latest` symlink wins over name order
    os.symlink("2024-01-01", store["root"] / "web1" / "latest")
    latest = {**params, "snapshot": "latest"}
    assert restore.plan(latest).noop


def test_every_escape_is_refused(store: dict[str, Path]) -> None:
    restore = op(store)
    target = str(store["target"])
    base = {"host": "web1", "path": "/etc/app/app.conf", "target": target}
    # a symlink in the snapshot pointing out of it, and one to a dir outside
    os.symlink(store["outside"] / "secret", store["new"] / "etc" / "app" / "evil.conf")
    os.symlink(store["outside"], store["new"] / "etc" / "app" / "conf.d" / "out")
    # a target that is a symlink leading outside, and one inside the target tree
    link_target = store["target"] / "link"
    os.symlink(store["outside"], link_target)
    # a latest link pointing outside the host's directory
    os.symlink(store["outside"], store["root"] / "web1" / "evil")
    attempts = [
        {**base, "path": "/etc/../../2024-01-01/etc/app/app.conf"},
        {**base, "path": "../outside/secret"},
        {**base, "path": ""},
        {**base, "host": "../web1"},
        {**base, "host": "web1/2024-01-02"},
        {**base, "host": ".."},
        {**base, "snapshot": "../web1/2024-01-01"},
        {**base, "snapshot": ".."},
        {**base, "snapshot": "evil"},
        {**base, "path": "/etc/app/evil.conf", "target": str(store["tmp"] / "restore2")},
        {**base, "path": "/etc/app/evil.conf"},
        {**base, "path": "/etc/app/conf.d/out/secret"},
        {**base, "path": "/etc/app/conf.d"},
        {**base, "target": str(store["outside"])},
        {**base, "target": "/"},
        {**base, "target": str(link_target)},
        {**base, "target": "restore"},
    ]
    dummy = Plan(summary="", changes=[], current={}, noop=False)
    for params in attempts:
        with pytest.raises(TargetNotAllowedError):
            restore.plan(params)
        with pytest.raises(TargetNotAllowedError):
            restore.apply(params, dummy)
    # a directory inside the target tree that is a symlink leading outside
    restore.plan(base)
    (store["target"] / "etc").mkdir()
    os.symlink(store["outside"], store["target"] / "etc" / "app")
    with pytest.raises(TargetNotAllowedError):
        restore.plan(base)
    with pytest.raises(TargetNotAllowedError):
        restore.apply(base, dummy)
    assert sorted(p.name for p in store["outside"].iterdir()) == ["secret"]
