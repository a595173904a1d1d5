"""Attachments of a TWiki import: ``pub/<Web>/<Topic>/`` files with their META data.

TWiki describes each attachment in the topic's ``%META:FILEATTACHMENT{name comment
user date size attr ...}%`` and keeps the bytes (and, in ``name,v``, older versions)
under ``pub/``.  Both halves are needed: the META alone has no bytes, the file alone
loses who uploaded it, when, why, and whether it was hidden (``attr="h"``).  A file
the META names that ``pub/`` lacks is reported, never skipped silently; a file in
``pub/`` the META does not name is still imported.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hub.actors import Actor
from hub.attachments import Blobs, blob_store
from hub.wiki import commands as c
from hub.wiki.model import ATTACHMENT_NAME
from hub.wiki.rcs import RcsError, parse_rcs

if TYPE_CHECKING:
    from hub.bootstrap import Hub

Warn = Callable[[str], None]


def twiki_user(value: str) -> str:
    """``Main.JohnSmith`` / ``%USERSWEB%.JohnSmith`` -> ``JohnSmith`` (as TWiki shows it)."""
    return re.sub(r"^(?:%[A-Z]+%|[A-Z][A-Za-z0-9_]*)\.(?=[A-Za-z])", "", value.strip())[:100]


def epoch_iso(value: str | None) -> str | None:
    """TWiki's META dates are seconds since the epoch (UTC)."""
    if not value or not value.strip().isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(value.strip()), UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def import_attachments(hub: Hub, folder: Path, web: str, topic: str, actor: Actor,
                       metas: list[dict[str, str]], warn: Warn) -> int:
    """Import every attachment of one topic; returns how many files were imported."""
    named = {m["name"]: m for m in metas if m.get("name")}
    files = ({p.name: p for p in sorted(folder.iterdir())
              if p.is_file() and not p.name.endswith(",v")} if folder.is_dir() else {})
    blobs = blob_store(hub)
    count = 0
    for name, meta in named.items():
        path = files.get(name)
        if path is None:
            warn(f"{web}.{topic}: attachment {name!r} is named in %META:FILEATTACHMENT% but "
                 f"missing under pub/{web}/{topic}/")
            continue
        count += _import_file(hub, blobs, path, web, topic, actor, meta, warn)
    for name, path in files.items():
        if name not in named:
            count += _import_file(hub, blobs, path, web, topic, actor, {}, warn)
    return count


def _import_file(hub: Hub, blobs: Blobs, path: Path, web: str, topic: str, actor: Actor,
                 meta: Mapping[str, str], warn: Warn) -> int:
    name = path.name
    if not ATTACHMENT_NAME.match(name) or ".." in name:
        warn(f"{web}.{topic}: attachment {name!r} has a name the hub cannot store, skipped")
        return 0
    data = path.read_bytes()
    if meta.get("size", "").isdigit() and int(meta["size"]) != len(data):
        warn(f"{web}.{topic}: attachment {name!r} is {len(data)} bytes, its META says "
             f"{meta['size']}")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    for old in _older_versions(path, data, warn, f"{web}.{topic}"):
        _send(hub, blobs, c.ImportAttachment(
            web, topic, name, "", len(old[0]), kind, old[3][:500], old[1] or actor.name, old[2]),
            old[0], actor)
    comment = meta.get("comment", "") if meta else "imported from TWiki"
    _send(hub, blobs, c.ImportAttachment(
        web, topic, name, "", len(data), kind, comment,
        twiki_user(meta.get("user", "")) or actor.name, epoch_iso(meta.get("date")),
        hidden="h" in meta.get("attr", "")), data, actor)
    return 1


def _send(hub: Hub, blobs: Blobs, cmd: c.ImportAttachment, data: bytes,
          actor: Actor) -> None:
    digest = blobs.put(data)
    full = c.ImportAttachment(cmd.web, cmd.topic, cmd.name, digest, cmd.size, cmd.content_type,
                              cmd.comment, cmd.author, cmd.original_at, cmd.hidden)
    hub.bus.handle(full, actor,
                   idempotency_key=f"wiki-import-att:{cmd.web}.{cmd.topic}:{cmd.name}:{digest}")


def _older_versions(path: Path, current: bytes, warn: Warn,
                    where: str) -> list[tuple[bytes, str, str, str]]:
    """``(bytes, author, date, log)`` of the versions before the current file, oldest first."""
    history = path.with_name(path.name + ",v")
    if not history.is_file():
        return []
    try:
        revisions = parse_rcs(history.read_bytes())
    except RcsError as exc:
        warn(f"{where}: attachment history {history.name} unreadable ({exc}); "
             "only the current file was imported")
        return []
    out = [(r.text.encode("utf-8", errors="surrogateescape"), twiki_user(r.author),
            r.date.isoformat(), r.log.strip()) for r in revisions]
    while out and out[-1][0] == current:
        out.pop()
    return out
