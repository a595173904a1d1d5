"""Restore files from an rsnapshot-style backup store with rsync.

Every parameter of ``backup.restore`` comes from a runbook (and so from a user), so all of
them are checked for escapes before rsync runs: names with separators, ``..`` components,
symlinks in the snapshot pointing outside the restored tree, and target paths whose real
location (after following symlinks) lies outside the configured restore roots.  rsync gets an
argument list with ``--`` and ``--protect-args``, never a shell string.

The hub may run as root, and ``rsync -a`` as root recreates device nodes, FIFOs and
sockets, owners, and setuid/setgid bits: a backup of a compromised host would then
plant a root shell or a raw disk device in the target. So the plan refuses a source
holding any of these (listing them), and rsync runs with ``--no-devices --no-specials
--no-owner --no-group --chmod=ug-s``; the apply strips any setuid/setgid bit left in the
destination afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from hub.drivers.base import (
    Operation,
    OperationError,
    Outcome,
    Params,
    Plan,
    TargetNotAllowedError,
    VerifyError,
    require_str,
)

_ITEM_KINDS = {"f": "file", "d": "directory", "L": "symlink", "D": "device", "S": "special"}
#: rsync's ``-a`` without devices, specials, owners and groups, and never setuid/setgid.
RSYNC_SAFE = ("-a", "--no-devices", "--no-specials", "--no-owner", "--no-group",
              "--chmod=ug-s")
_SET_ID = stat.S_ISUID | stat.S_ISGID
_LISTED = 20


def unsafe_kind(mode: int) -> str | None:
    """Why an entry may not be restored: a device, FIFO, socket or setuid/setgid file."""
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device node"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISREG(mode) and mode & stat.S_ISUID:
        return "setuid file"
    if stat.S_ISREG(mode) and mode & stat.S_ISGID:
        return "setgid file"
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_name(kind: str, value: str) -> str:
    """A host or snapshot name is one path component, nothing more."""
    if value in {".", ".."} or "/" in value or "\0" in value or value.startswith("-"):
        raise TargetNotAllowedError(f"{kind} {value!r} is not a plain name")
    return value


def relative_backup_path(path: str) -> PurePosixPath:
    """``/etc/app/app.conf`` -> ``etc/app/app.conf``; any ``..`` is refused."""
    if "\0" in path:
        raise TargetNotAllowedError("path contains NUL")
    parts = [p for p in PurePosixPath(path).parts if p not in {"/", "."}]
    if not parts or ".." in parts:
        raise TargetNotAllowedError(f"path {path!r} is empty or contains '..'")
    return PurePosixPath(*parts)


@dataclass(frozen=True)
class RestoreSpec:
    """A fully checked restore: real source path and real destination path."""

    source: Path
    dest: Path
    snapshot_dir: Path
    is_dir: bool


def parse_itemized(output: str) -> list[str]:
    """Turn ``rsync --itemize-changes`` lines into readable change descriptions."""
    changes: list[str] = []
    for line in output.splitlines():
        if len(line) < 13 or line[11] != " ":
            continue
        code, name = line[:11], line[12:]
        kind = _ITEM_KINDS.get(code[1], code[1])
        if code[0] == "*":
            changes.append(f"{code[1:].strip()} {name}")
        elif code[2:].strip("+") == "" and code[0] in "<>c":
            changes.append(f"create {kind} {name}")
        elif code[0] in "<>":
            changes.append(f"update {kind} {name} ({code})")
        else:
            changes.append(f"change attributes of {kind} {name} ({code})")
    return changes


def _walk(root: Path) -> Iterator[Path]:
    """Every path below ``root`` (not following symlinks), relative to it."""
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames + filenames:
            yield (base / name).relative_to(root)


def strip_set_id(dest: Path, is_dir: bool) -> None:
    """Clear setuid/setgid bits rsync may have left (never follows symlinks)."""
    paths = [dest] + ([dest / r for r in _walk(dest)] if is_dir else [])
    for path in paths:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) or not mode & _SET_ID:
            continue
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            os.fchmod(fd, stat.S_IMODE(mode) & ~_SET_ID)
        finally:
            os.close(fd)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class BackupRestore(Operation):
    """``backup.restore {host, path, snapshot='latest', target}`` from the backup store."""

    action = "backup.restore"

    def __init__(
        self,
        backup_root: str | Path,
        restore_targets: Sequence[str | Path],
        rsync: str | None = None,
        timeout: float = 3600.0,
    ) -> None:
        self.backup_root = Path(backup_root).resolve()
        self.restore_targets = [Path(t).resolve() for t in restore_targets]
        self.rsync = rsync or shutil.which("rsync") or "rsync"
        self.timeout = timeout

    # -- checks ------------------------------------------------------------------------------
    def snapshot_dir(self, host: str, snapshot: str) -> Path:
        host_dir = self.backup_root / check_name("host", host)
        if not host_dir.is_dir():
            raise TargetNotAllowedError(f"no backups for host {host!r}")
        if snapshot == "latest" and not (host_dir / "latest").exists():
            names = sorted(
                p.name for p in host_dir.iterdir() if p.is_dir() and not p.is_symlink()
            )
            if not names:
                raise OperationError(f"host {host!r} has no snapshots")
            snapshot = names[-1]
        candidate = (host_dir / check_name("snapshot", snapshot)).resolve()
        if not _inside(candidate, host_dir.resolve()) or not candidate.is_dir():
            raise TargetNotAllowedError(f"snapshot {snapshot!r} of {host!r} is not allowed")
        return candidate

    def target_root(self, target: str) -> Path:
        real = Path(target).resolve()
        if not Path(target).is_absolute() or not any(
            _inside(real, root) for root in self.restore_targets
        ):
            raise TargetNotAllowedError(f"target {target!r} is not under a restore target")
        return real

    def resolve(self, params: Params) -> RestoreSpec:
        rel = relative_backup_path(require_str(params, "path"))
        snap = self.snapshot_dir(require_str(params, "host"), str(params.get("snapshot") or
                                                                 "latest"))
        target = self.target_root(require_str(params, "target"))
        source = snap / rel
        if not os.path.lexists(source):
            raise OperationError(f"{rel} is not in the snapshot")
        if not _inside(source.resolve(), snap):
            raise TargetNotAllowedError(f"{rel} leads outside the snapshot")
        is_dir = source.is_dir() and not source.is_symlink()
        self._check_tree(source, snap, is_dir)
        dest = target / rel
        self._check_dest(dest, source, is_dir)
        return RestoreSpec(source=source, dest=dest, snapshot_dir=snap, is_dir=is_dir)

    def _check_tree(self, source: Path, snap: Path, is_dir: bool) -> None:
        """Refuse specials, setuid/setgid files and symlinks leaving the restored tree."""
        tree = source if is_dir else source.parent
        entries = [source] + ([source / r for r in _walk(source)] if is_dir else [])
        refused: list[str] = []
        for entry in entries:
            where = str(entry.relative_to(snap))
            if entry.is_symlink():
                if not _inside(entry.resolve(), snap):
                    refused.append(f"snapshot symlink {where} points outside the snapshot")
                elif entry != source and not _inside(entry.resolve(), tree):
                    refused.append(f"{where} (symlink leaving the restored tree)")
                continue
            kind = unsafe_kind(entry.lstat().st_mode)
            if kind is not None:
                refused.append(f"{where} ({kind})")
        if refused:
            shown = ", ".join(refused[:_LISTED])
            more = f" and {len(refused) - _LISTED} more" if len(refused) > _LISTED else ""
            raise TargetNotAllowedError(
                f"the snapshot holds {len(refused)} entr{'y' if len(refused) == 1 else 'ies'} "
                f"a restore must not create: {shown}{more}")

    def _check_dest(self, dest: Path, source: Path, is_dir: bool) -> None:
        """Every existing destination path rsync may write through must stay inside."""
        rels = [Path()] + (list(_walk(source)) if is_dir else [])
        for rel in rels:
            path = dest / rel
            probe = path if os.path.lexists(path) else path.parent
            real = probe.resolve()
            if not any(_inside(real, root) for root in self.restore_targets):
                raise TargetNotAllowedError(f"{path} leads outside the restore targets")

    # -- rsync -------------------------------------------------------------------------------
    def _rsync(self, spec: RestoreSpec, dry_run: bool) -> str:
        args = [self.rsync, *RSYNC_SAFE, "--protect-args", "--mkpath", "--itemize-changes"]
        if dry_run:
            args += ["-n", "--checksum"]
        src, dst = str(spec.source), str(spec.dest)
        if spec.is_dir:
            src, dst = src + "/", dst + "/"
        args += ["--", src, dst]
        try:
            proc = subprocess.run(
                args, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise OperationError(f"rsync timed out after {self.timeout:g}s") from exc
        if proc.returncode != 0:
            raise OperationError(f"rsync failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout

    def plan(self, params: Params) -> Plan:
        spec = self.resolve(params)
        changes = parse_itemized(self._rsync(spec, dry_run=True))
        current: dict[str, Any] = {
            "source": str(spec.source),
            "dest": str(spec.dest),
            "dest_exists": os.path.lexists(spec.dest),
        }
        summary = (
            f"{spec.dest} already matches {spec.source}"
            if not changes
            else f"restore {spec.source} to {spec.dest}: {len(changes)} change(s)"
        )
        return Plan(summary=summary, changes=changes, current=current, noop=not changes)

    def apply(self, params: Params, plan: Plan) -> Outcome:
        spec = self.resolve(params)
        output = self._rsync(spec, dry_run=False)
        strip_set_id(spec.dest, spec.is_dir)
        return Outcome(output=output or "nothing to transfer",
                       data={"changes": parse_itemized(output), "dest": str(spec.dest)})

    def verify(self, params: Params) -> Outcome:
        spec = self.resolve(params)
        rels = list(_walk(spec.source)) if spec.is_dir else [Path()]
        checked = 0
        for rel in rels:
            src, dst = spec.source / rel, spec.dest / rel
            if src.is_symlink():
                if not dst.is_symlink() or os.readlink(dst) != os.readlink(src):
                    raise VerifyError(f"symlink {dst} differs from the snapshot")
            elif src.is_file():
                if dst.is_symlink() or not dst.is_file() or sha256_file(dst) != sha256_file(src):
                    raise VerifyError(f"{dst} differs from the snapshot")
                checked += 1
            elif src.is_dir() and not dst.is_dir():
                raise VerifyError(f"{dst} is not a directory")
        return Outcome(output=f"{checked} file(s) match the snapshot (sha256)",
                       data={"files": checked})

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        return None
