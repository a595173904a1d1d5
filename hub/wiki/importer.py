"""Import a TWiki/Foswiki ``data/`` (and ``pub/``) tree, history included.

Each RCS revision of ``Web/Topic.txt,v`` becomes one ``ImportRevision`` command with
the original author and date (kept in the event as ``original_at``; the event's own
time is the import time).  Topic text is converted from TML to Markdown where the
converter can; ``* Set NAME = value`` lines (preferences, ACLs, groups) are kept
verbatim so access control reads them exactly as TWiki did.  Every command carries an
idempotency key, so importing the same tree again changes nothing.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hub.actors import Actor, system_actor
from hub.attachments import BlobStore
from hub.wiki import commands as c
from hub.wiki.model import ATTACHMENT_NAME, NAME_RE
from hub.wiki.rcs import RcsError, parse_rcs
from hub.wiki.tml import TwikiTopic, parse_topic_file, tml_to_markdown
from hub.wiki.wikiwords import map_text

if TYPE_CHECKING:
    from hub.bootstrap import Hub

_SET_LINE = re.compile(r"^(?:\t| {3})+\*\s+Set\s+[A-Za-z0-9_]+\s*=")


@dataclass
class ImportReport:
    topics: int = 0
    revisions: int = 0
    attachments: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceRevision:
    rev: str
    text: str
    author: str
    at: str


def convert_body(body: str) -> str:
    """TML to Markdown, keeping ``Set`` preference lines (and their continuations) as-is."""
    out: list[str] = []
    chunk: list[str] = []
    in_setting = False

    def flush() -> None:
        if chunk:
            out.append(tml_to_markdown("\n".join(chunk)).rstrip("\n"))
            chunk.clear()

    for line in body.splitlines():
        continuation = in_setting and re.match(r"^(?:\t| {3})+(?![*\s])", line) is not None
        if _SET_LINE.match(line) or continuation:
            flush()
            out.append(line.replace("\t", "   "))
            in_setting = True
        else:
            in_setting = False
            chunk.append(line)
    flush()
    text = map_text("\n".join(out), lambda chunk: re.sub(r"\n{3,}", "\n\n", chunk))
    return text.strip("\n") + "\n"


def topic_markdown(topic: TwikiTopic) -> str:
    text = convert_body(topic.body)
    prefs = [p for p in topic.preferences if p.get("name")]
    if prefs:
        text += "\n" + "\n".join(f"   * Set {p['name']} = {p.get('value', '')}"
                                 for p in prefs) + "\n"
    return text


def source_revisions(txt: Path) -> list[SourceRevision]:
    """Every revision of a topic: its RCS history, plus the .txt if it is newer."""
    current = txt.read_text(encoding="utf-8", errors="replace")
    out: list[SourceRevision] = []
    history = txt.with_name(txt.name + ",v")
    if history.exists():
        try:
            for rev in parse_rcs(history.read_bytes()):
                out.append(SourceRevision(rev.rev, rev.text, rev.author, rev.date.isoformat()))
        except RcsError:
            out = []
    if not out or out[-1].text.rstrip("\n") != current.rstrip("\n"):
        meta = parse_topic_file(current)
        when = meta.date.isoformat() if meta.date else ""
        out.append(SourceRevision("txt", current, meta.author or "TWikiGuest", when))
    return out


def _topics(data: Path, webs: tuple[str, ...]) -> Iterator[tuple[str, Path]]:
    for web_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        if not NAME_RE.match(web_dir.name) or (webs and web_dir.name not in webs):
            continue
        for txt in sorted(web_dir.glob("*.txt")):
            yield web_dir.name, txt


def import_tree(hub: Hub, root: Path, *, webs: tuple[str, ...] = (),
                actor: Actor | None = None,
                progress: Callable[[str], object] | None = None) -> ImportReport:
    data = root / "data" if (root / "data").is_dir() else root
    pub = data.parent / "pub"
    actor = actor or system_actor("cli", "wiki-import")
    report = ImportReport()
    for web, txt in _topics(data, webs):
        topic = txt.stem
        if not NAME_RE.match(topic):
            report.skipped.append(f"{web}/{txt.name}: not a topic name")
            continue
        for rev in source_revisions(txt):
            parsed = parse_topic_file(rev.text)
            digest = hashlib.sha256(rev.text.encode()).hexdigest()[:16]
            hub.bus.handle(c.ImportRevision(
                web=web, topic=topic, text=topic_markdown(parsed),
                author=parsed.author or rev.author, original_at=rev.at,
                summary=f"imported TWiki revision {rev.rev}", parent=parsed.parent,
                fields={f["name"]: f.get("value", "") for f in parsed.fields if f.get("name")}),
                actor, idempotency_key=f"wiki-import:{web}.{topic}:{rev.rev}:{digest}")
            report.revisions += 1
        report.topics += 1
        report.attachments += _attachments(hub, pub / web / topic, web, topic, actor, report)
        if progress is not None:
            progress(f"{web}.{topic}")
    return report


def _attachments(hub: Hub, folder: Path, web: str, topic: str, actor: Actor,
                 report: ImportReport) -> int:
    if not folder.is_dir():
        return 0
    blobs = BlobStore(Path(hub.settings.data_dir) / "blobs")
    count = 0
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.endswith(",v"):
            continue
        if not ATTACHMENT_NAME.match(path.name):
            report.skipped.append(f"{web}.{topic}/{path.name}: bad attachment name")
            continue
        data = path.read_bytes()
        digest = blobs.put(data)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        hub.bus.handle(c.AddAttachment(web, topic, path.name, digest, len(data), kind,
                                       "imported from TWiki"), actor,
                       idempotency_key=f"wiki-import-att:{web}.{topic}:{path.name}:{digest}")
        count += 1
    return count
