"""Wiki pages and subscriptions as event-sourced aggregates.

A page (stream ``page-<web>.<topic>``) records every save as a ``PageRevised`` event
with its author, summary and the revision the editor started from, so history, diffs,
restores and "who changed what" all come from the stream.  The handler decides the
actor's rights (ACLs live in other topics) and passes them in as ``actor.rights``;
the aggregate only asks ``actor.can("WikiChange")`` and friends.
"""

from __future__ import annotations

import re
from typing import Any

from hub.actors import Actor
from hub.domain import (
    Aggregate,
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
    ValidationError,
)
from hub.wiki import events as ev

NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9_]{0,99}$")
MAX_TEXT = 1_000_000
MAX_SUMMARY = 500
ATTACHMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ +-]{0,199}$")

VIEW, CHANGE, RENAME, EXECUTE = "WikiView", "WikiChange", "WikiRename", "WikiExecute"


def check_name(web: str, topic: str) -> None:
    if not NAME_RE.match(web) or not NAME_RE.match(topic):
        raise ValidationError("web and topic names start with a capital letter and hold only "
                              "letters, digits and _ (at most 100)")


def page_id(web: str, topic: str) -> str:
    return f"{web}.{topic}"


class Page(Aggregate):
    stream_prefix = "page"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.web, _, self.topic = aggregate_id.partition(".")
        self.revision = 0
        self.text = ""
        self.parent: str | None = None
        self.fields: dict[str, str] = {}
        self.form: str | None = None
        self.titles: dict[str, str] = {}
        self.moves: set[tuple[str, str]] = set()  # recorded pre-import moves (from, to)
        self.attachments: dict[str, int] = {}  # name -> latest version
        self.moved_to: str | None = None

    @property
    def live(self) -> bool:
        return self.exists and self.moved_to is None and self.revision > 0

    @property
    def current_revision(self) -> int:
        return self.revision if self.live else 0

    def _require_live(self) -> None:
        if not self.live:
            raise NotFoundError(f"topic {self.id} not found")

    # -- commands -------------------------------------------------------------------
    def save(self, actor: Actor, text: str, *, summary: str = "", base_revision: int,
             author: str | None = None, original_at: str | None = None,
             parent: str | None = None) -> bool:
        """Record a new revision; returns False when nothing changed."""
        if not actor.can(CHANGE):
            raise PermissionDeniedError(f"you may not change {self.id}")
        _check_text(text, summary)
        current = self.current_revision
        if base_revision != current:
            raise StateConflictError("stale base revision", current_revision=current)
        created = not self.live
        if created:
            check_name(self.web, self.topic)
            self._record(ev.PageCreated(web=self.web, topic=self.topic, parent=parent))
        elif text == self.text and (parent is None or parent == self.parent):
            return False
        elif parent is not None and parent != self.parent:
            self._record(ev.PageParentChanged(parent=parent or None))
        if created or text != self.text:
            self._record(ev.PageRevised(revision=current + 1, text=text,
                                        author=author or actor.name, summary=summary,
                                        base_revision=base_revision,
                                        original_at=original_at or None))
        return True

    def restore(self, actor: Actor, revision: int, text: str) -> None:
        self._require_live()
        if not actor.can(CHANGE):
            raise PermissionDeniedError(f"you may not change {self.id}")
        if not 1 <= revision < self.revision:
            raise ValidationError(f"revision is 1 to {self.revision - 1}")
        self._record(ev.PageRestored(revision=self.revision + 1, text=text, author=actor.name,
                                     summary=f"restored revision {revision}",
                                     restored_from=revision))

    def rename_to(self, actor: Actor, target: Page) -> None:
        self._require_live()
        if not actor.can(RENAME):
            raise PermissionDeniedError(f"you may not rename {self.id}")
        if target.live:
            raise StateConflictError(f"topic {target.id} already exists")
        if target.id == self.id:
            raise ValidationError("the new name is the old name")
        check_name(target.web, target.topic)
        self._record(ev.PageRenamed(to_web=target.web, to_topic=target.topic))
        target._record(ev.PageMovedIn(web=target.web, topic=target.topic,
                                      from_web=self.web, from_topic=self.topic,
                                      revision=self.revision, text=self.text,
                                      parent=self.parent, fields=self.fields,
                                      attachments=self.attachments, form=self.form))

    def set_fields(self, actor: Actor, fields: dict[str, str], *, form: str | None = None,
                   titles: dict[str, str] | None = None) -> None:
        """Replace the field values; ``form``/``titles`` (from an import) only when given."""
        self._require_live()
        if not actor.can(CHANGE):
            raise PermissionDeniedError(f"you may not change {self.id}")
        changed_meta = (form is not None and form != self.form) or (
            titles is not None and titles != self.titles)
        if fields != self.fields or changed_meta:
            self._record(ev.PageFieldsSet(fields=fields, form=form, titles=titles or None))

    def record_move(self, actor: Actor, *, from_name: str, to_name: str, by: str,
                    original_at: str | None) -> None:
        """Keep a move TWiki made before the import (once per from/to pair)."""
        self._require_live()
        if not actor.can(CHANGE):
            raise PermissionDeniedError(f"you may not change {self.id}")
        if (from_name, to_name) not in self.moves:
            self._record(ev.PageMoveRecorded(from_name=from_name[:200], to_name=to_name[:200],
                                             by=by[:100], original_at=original_at or None))

    def attach(self, actor: Actor, *, name: str, sha256: str, size: int, content_type: str,
               comment: str = "", author: str | None = None, original_at: str | None = None,
               hidden: bool = False) -> int:
        """Add a version; ``author``/``original_at``/``hidden`` come only from an import."""
        self._require_live()
        if not actor.can(CHANGE):
            raise PermissionDeniedError(f"you may not change {self.id}")
        if not ATTACHMENT_NAME.match(name) or ".." in name:
            raise ValidationError("attachment names are letters, digits, space and ._+-")
        version = self.attachments.get(name, 0) + 1
        self._record(ev.AttachmentAdded(name=name, version=version, sha256=sha256, size=size,
                                        content_type=content_type[:200],
                                        comment=comment[:500],
                                        author=(author or actor.name)[:100],
                                        original_at=original_at or None,
                                        hidden=True if hidden else None))
        return version

    # -- appliers -------------------------------------------------------------------
    def _on_PageCreated(self, d: dict[str, Any]) -> None:
        self.revision, self.text, self.parent = 0, "", d.get("parent")
        self.fields, self.attachments, self.moved_to = {}, {}, None
        self.form, self.titles, self.moves = None, {}, set()

    def _on_PageRevised(self, d: dict[str, Any]) -> None:
        self.revision, self.text = d["revision"], d["text"]

    _on_PageRestored = _on_PageRevised

    def _on_PageParentChanged(self, d: dict[str, Any]) -> None:
        self.parent = d["parent"]

    def _on_PageRenamed(self, d: dict[str, Any]) -> None:
        self.moved_to = f"{d['to_web']}.{d['to_topic']}"

    def _on_PageMovedIn(self, d: dict[str, Any]) -> None:
        self.revision, self.text, self.parent = d["revision"], d["text"], d.get("parent")
        self.fields, self.attachments = dict(d["fields"]), dict(d["attachments"])
        self.moved_to, self.form = None, d.get("form")

    def _on_PageFieldsSet(self, d: dict[str, Any]) -> None:
        self.fields = dict(d["fields"])
        if d.get("form") is not None:
            self.form = d["form"]
        if d.get("titles") is not None:
            self.titles = dict(d["titles"])

    def _on_PageMoveRecorded(self, d: dict[str, Any]) -> None:
        self.moves.add((d["from_name"], d["to_name"]))

    def _on_AttachmentAdded(self, d: dict[str, Any]) -> None:
        self.attachments[d["name"]] = d["version"]


def _check_text(text: str, summary: str) -> None:
    if len(text) > MAX_TEXT:
        raise ValidationError(f"topic text is at most {MAX_TEXT} characters")
    if len(summary) > MAX_SUMMARY:
        raise ValidationError(f"summary is at most {MAX_SUMMARY} characters")
    if "\x00" in text:
        raise ValidationError("topic text may not contain NUL characters")


class WikiSubscription(Aggregate):
    """One user's subscriptions to webs or topics, and how far their digest got."""

    stream_prefix = "wikisub"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.targets: set[tuple[str, str]] = set()
        self.upto = 0

    def subscribe(self, actor: Actor, web: str, topic: str) -> None:
        self._own(actor)
        check_name(web, topic or "WebHome")
        if (web, topic) not in self.targets:
            self._record(ev.WikiSubscribed(web=web, topic=topic))

    def unsubscribe(self, actor: Actor, web: str, topic: str) -> None:
        self._own(actor)
        if (web, topic) in self.targets:
            self._record(ev.WikiUnsubscribed(web=web, topic=topic))

    def digest_sent(self, upto: int, count: int) -> None:
        if upto > self.upto:
            self._record(ev.WikiDigestSent(upto=upto, count=count))

    def _own(self, actor: Actor) -> None:
        if actor.name != self.id and not actor.can("AdminUsers"):
            raise PermissionDeniedError("you may only change your own subscriptions")

    def _on_WikiSubscribed(self, d: dict[str, Any]) -> None:
        self.targets.add((d["web"], d["topic"]))

    def _on_WikiUnsubscribed(self, d: dict[str, Any]) -> None:
        self.targets.discard((d["web"], d["topic"]))

    def _on_WikiDigestSent(self, d: dict[str, Any]) -> None:
        self.upto = d["upto"]
