"""Import a TWiki/Foswiki ``data/`` (and ``pub/``) tree, history and META included.

Each RCS revision of ``Web/Topic.txt,v`` becomes one ``ImportRevision`` command with
the original author and date (kept in the event as ``original_at``; the event's own
time is the import time), the topic parent, the DataForm's name, field values and
labels, and any ``%META:TOPICMOVED%``.  Topic text is converted from TML to Markdown
where the converter can; ``* Set NAME = value`` lines (preferences, ACLs, groups) are
kept verbatim so access control reads them exactly as TWiki did.  Attachments come
from ``pub/<Web>/<Topic>/`` with their ``%META:FILEATTACHMENT%`` comment, uploader,
date and hidden flag; a file the META names but ``pub/`` lacks is a warning, not a
silent gap.  Every command carries an idempotency key, so importing the same tree
again changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from hub.actors import Actor, system_actor
from hub.wiki import commands as c
from hub.wiki.import_files import epoch_iso, import_attachments, twiki_user
from hub.wiki.model import NAME_RE
from hub.wiki.rcs import RcsError, parse_rcs
from hub.wiki.tml import TwikiTopic, parse_topic_file, tml_to_markdown
from hub.wiki.wikiwords import map_text, resolve_target

if TYPE_CHECKING:
    from hub.bootstrap import Hub

_SET_LINE = re.compile(r"^(?:\t| {3})+\*\s+Set\s+[A-Za-z0-9_]+\s*=")


@dataclass
class WebCounts:
    topics: int = 0
    revisions: int = 0
    attachments: int = 0
    warnings: int = 0


@dataclass
class ImportReport:
    """What an import did, in total and per web; ``warnings`` name what was not kept."""

    topics: int = 0
    revisions: int = 0
    attachments: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    webs: dict[str, WebCounts] = field(default_factory=dict)

    def warn(self, web: str, message: str) -> None:
        self.warnings.append(message)
        self.webs.setdefault(web, WebCounts()).warnings += 1


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


def decode_topic(data: bytes) -> str:
    """UTF-8, else ISO-8859-1 (the default site charset of TWiki before 5.0): a legacy
    topic's umlauts must not become U+FFFD or unstorable surrogates."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("iso-8859-1")


def source_revisions(txt: Path, warn: Callable[[str], None] | None = None,
                     ) -> list[SourceRevision]:
    """Every revision of a topic: its RCS history, plus the .txt if it is newer."""
    # Bytes, not read_text(): universal newlines would turn a CRLF topic's \r\n into
    # \n, so the .txt would never equal its RCS head and import as an extra revision.
    current = decode_topic(txt.read_bytes())
    out: list[SourceRevision] = []
    history = txt.with_name(txt.name + ",v")
    if history.exists():
        try:
            for rev in parse_rcs(history.read_bytes()):
                text = decode_topic(rev.text.encode("utf-8", errors="surrogateescape"))
                out.append(SourceRevision(rev.rev, text, rev.author, rev.date.isoformat()))
        except RcsError as exc:
            out = []
            if warn is not None:
                warn(f"{txt.parent.name}.{txt.stem}: history {history.name} unreadable "
                     f"({exc}); only the current text was imported")
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


def _parent(parsed: TwikiTopic, web: str) -> str | None:
    """``Web.Topic`` of the TOPICPARENT; TWiki's ``%USERSWEB%``-style webs are resolved."""
    if not parsed.parent:
        return None
    name = re.sub(r"^%(?:USERSWEB|MAINWEB)%\.", "Main.", parsed.parent)
    name = re.sub(r"^%(?:SYSTEMWEB|TWIKIWEB)%\.", "System.", name)
    resolved = resolve_target(name, web)
    return None if resolved is None else f"{resolved[0]}.{resolved[1]}"


def _moved(parsed: TwikiTopic) -> dict[str, str] | None:
    for kind, args in parsed.other_meta:
        if kind == "TOPICMOVED" and args.get("from"):
            return {"from": args["from"], "to": args.get("to", ""),
                    "by": twiki_user(args.get("by", "")),
                    "date": epoch_iso(args.get("date")) or ""}
    return None


def revision_command(web: str, topic: str, rev: SourceRevision,
                     parsed: TwikiTopic) -> c.ImportRevision:
    """The command for one TWiki revision: text, author, date and every META kept."""
    named = [f for f in parsed.fields if f.get("name")]
    return c.ImportRevision(
        web=web, topic=topic, text=topic_markdown(parsed),
        author=twiki_user(parsed.author or "") or rev.author, original_at=rev.at,
        summary=f"imported TWiki revision {rev.rev}", parent=_parent(parsed, web),
        fields={f["name"]: f.get("value", "") for f in named},
        form=parsed.form or None,
        field_titles={f["name"]: f["title"] for f in named if f.get("title")} or None,
        moved=_moved(parsed))


def import_tree(hub: Hub, root: Path, *, webs: tuple[str, ...] = (),
                actor: Actor | None = None,
                progress: Callable[[str], object] | None = None) -> ImportReport:
    data = root / "data" if (root / "data").is_dir() else root
    pub = data.parent / "pub"
    actor = actor or system_actor("cli", "wiki-import")
    report = ImportReport()
    for web, txt in _topics(data, webs):
        topic = txt.stem
        counts = report.webs.setdefault(web, WebCounts())
        if not NAME_RE.match(topic):
            report.skipped.append(f"{web}/{txt.name}: not a topic name")
            report.warn(web, f"skipped {web}/{txt.name}: not a topic name")
            continue
        latest: TwikiTopic | None = None
        for rev in source_revisions(txt, partial(report.warn, web)):
            latest = parse_topic_file(rev.text.replace("\r\n", "\n"))
            if latest.parent and _parent(latest, web) is None:
                report.warn(web, f"{web}.{topic}: parent {latest.parent!r} is not a topic "
                                 "name, dropped")
            digest = hashlib.sha256(rev.text.encode()).hexdigest()[:16]
            hub.bus.handle(revision_command(web, topic, rev, latest), actor,
                           idempotency_key=f"wiki-import:{web}.{topic}:{rev.rev}:{digest}")
            counts.revisions += 1
        counts.topics += 1
        added = import_attachments(hub, pub / web / topic, web, topic, actor,
                                   latest.attachments if latest else [],
                                   partial(report.warn, web))
        counts.attachments += added
        if progress is not None:
            progress(f"{web}.{topic}")
    report.topics = sum(w.topics for w in report.webs.values())
    report.revisions = sum(w.revisions for w in report.webs.values())
    report.attachments = sum(w.attachments for w in report.webs.values())
    return report


def summary_table(report: ImportReport) -> str:
    """The import's summary as a plain-text table, one row per web and a total."""
    header = ("web", "topics", "revisions", "attachments", "warnings")
    rows = [(web, str(w.topics), str(w.revisions), str(w.attachments), str(w.warnings))
            for web, w in sorted(report.webs.items())]
    rows.append((f"total ({len(report.webs)} webs)", str(report.topics),
                 str(report.revisions), str(report.attachments), str(len(report.warnings))))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "-+-".join("-" * w for w in widths)

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                          for i, (cell, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(header), rule, *map(line, rows[:-1]), rule, line(rows[-1])])
