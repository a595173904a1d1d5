"""Wiki command handlers: load pages, grant the actor's ACL rights, call the aggregate.

Access rules live in topics (WebPreferences, group topics), so the handler reads them
from the read model inside the command's transaction and hands the result to the
aggregate as rights.  A stale save is answered with a three-way merge of the base
revision, the current text ("theirs") and the submitted text ("yours").
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import (
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
    ValidationError,
)
from hub.messagebus import MessageBus, UnitOfWork
from hub.wiki import commands as c
from hub.wiki.access import Access
from hub.wiki.forms import FORM_TOPIC, FormError, parse_form, validate
from hub.wiki.merge import merge3
from hub.wiki.model import Page, WikiSubscription, check_name, page_id
from hub.wiki.queries import MAX_REVISION
from hub.wiki.tables import wiki_links, wiki_pages, wiki_revisions
from hub.wiki.wikiwords import resolve_target, rewrite_links


class PageConflictError(StateConflictError):
    """409: the save started from an old revision; details carry the merge."""


def revision_text(conn: sa.Connection, web: str, topic: str, revision: int) -> str | None:
    if not 1 <= revision <= MAX_REVISION:
        return None  # cannot exist; a huge number must not reach the driver (overflow)
    return conn.execute(sa.select(wiki_revisions.c.text).where(
        wiki_revisions.c.web == web, wiki_revisions.c.topic == topic,
        wiki_revisions.c.revision == revision)).scalar()


def _load(uow: UnitOfWork, access: Access, web: str, topic: str) -> Page:
    check_name(web, topic)
    page = uow.get(Page, page_id(web, topic), must_exist=False)
    if page.live and not access.allowed("VIEW", web, topic):
        raise NotFoundError(f"topic {web}.{topic} not found")  # do not reveal it exists
    return page


def _parent(value: str | None, web: str) -> str | None:
    if value is None:
        return None
    if value == "":
        return ""
    resolved = resolve_target(value, web)
    if resolved is None:
        raise ValidationError("parent is a topic name such as Web.Topic")
    return f"{resolved[0]}.{resolved[1]}"


def clean_fields(conn: sa.Connection, web: str, values: dict[str, Any]) -> dict[str, str]:
    form = conn.execute(sa.select(wiki_pages.c.text).where(
        wiki_pages.c.web == web, wiki_pages.c.topic == FORM_TOPIC)).scalar()
    if form is None:
        if values:
            raise ValidationError(f"web {web} has no {FORM_TOPIC} defining fields")
        return {}
    try:
        return validate(parse_form(form), values)
    except FormError as exc:
        raise ValidationError("invalid form fields", errors=exc.errors) from exc


def save_page(cmd: c.SavePage, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    access = Access(uow.conn, actor)
    page = _load(uow, access, cmd.web, cmd.topic)
    if not isinstance(cmd.text, str) or not isinstance(cmd.base_revision, int):
        raise ValidationError("text is a string and base_revision an integer")
    current = page.current_revision
    text, merged = cmd.text, False
    if cmd.base_revision != current:
        text = _merge_or_conflict(uow.conn, page, cmd)
        merged = True
    fields = None if cmd.fields is None else clean_fields(uow.conn, cmd.web, cmd.fields)
    acting = access.acting(cmd.web, cmd.topic)
    page.save(acting, text, summary=cmd.summary, base_revision=current,
              parent=_parent(cmd.parent, cmd.web))
    if fields is not None:
        page.set_fields(acting, fields)
    return {"web": cmd.web, "topic": cmd.topic, "revision": page.revision,
            "created": current == 0, "merged": merged}


def _merge_or_conflict(conn: sa.Connection, page: Page, cmd: c.SavePage) -> str:
    current = page.current_revision
    details: dict[str, Any] = {"current_revision": current, "base_revision": cmd.base_revision}
    if not 0 <= cmd.base_revision < current:
        raise PageConflictError(f"base_revision {cmd.base_revision} is not a revision of "
                                f"{page.id} (current is {current})", **details)
    base = "" if cmd.base_revision == 0 else (
        revision_text(conn, page.web, page.topic, cmd.base_revision) or "")
    result = merge3(base, cmd.text, page.text)
    if result.clean and cmd.merge:
        return result.text
    details.update(clean=result.clean, theirs=page.text)
    if result.clean:
        details["merged_text"] = result.text
        message = (f"{page.id} changed since revision {cmd.base_revision}; the changes merge "
                   "cleanly: resubmit merged_text with base_revision current_revision, "
                   'or send "merge": true')
    else:
        details["conflict_text"] = result.text
        details["conflicts"] = [
            {"base_line": x.base_line, "base": x.base, "yours": x.ours, "theirs": x.theirs}
            for x in result.conflicts]
        message = (f"{page.id} changed since revision {cmd.base_revision} and the changes "
                   "overlap: resolve the marked conflicts and save on current_revision")
    raise PageConflictError(message, **details)


def import_revision(cmd: c.ImportRevision, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    check_name(cmd.web, cmd.topic)
    page = uow.get(Page, page_id(cmd.web, cmd.topic), must_exist=False)
    acting = Access(uow.conn, actor).acting(cmd.web, cmd.topic)
    page.save(acting, cmd.text, summary=cmd.summary or "imported",
              base_revision=page.current_revision, author=cmd.author,
              original_at=cmd.original_at, parent=_parent(cmd.parent, cmd.web))
    if cmd.fields or cmd.form:
        page.set_fields(acting, {str(k): str(v) for k, v in cmd.fields.items()},
                        form=cmd.form, titles=cmd.field_titles)
    if cmd.moved and cmd.moved.get("from"):
        page.record_move(acting, from_name=cmd.moved["from"],
                         to_name=cmd.moved.get("to") or f"{cmd.web}.{cmd.topic}",
                         by=cmd.moved.get("by", ""), original_at=cmd.moved.get("date"))
    return {"web": cmd.web, "topic": cmd.topic, "revision": page.revision}


def import_attachment(cmd: c.ImportAttachment, uow: UnitOfWork,
                      actor: Actor) -> dict[str, Any]:
    """Only the importer (a system actor) may name another uploader and date."""
    if actor.role != "system":
        raise PermissionDeniedError("only the importer may import attachments")
    page = uow.get(Page, page_id(cmd.web, cmd.topic), must_exist=False)
    acting = Access(uow.conn, actor).acting(cmd.web, cmd.topic)
    version = page.attach(acting, name=cmd.name, sha256=cmd.sha256, size=cmd.size,
                          content_type=cmd.content_type, comment=cmd.comment,
                          author=cmd.author, original_at=cmd.original_at, hidden=cmd.hidden)
    return {"name": cmd.name, "version": version, "sha256": cmd.sha256, "size": cmd.size}


def restore_revision(cmd: c.RestoreRevision, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    access = Access(uow.conn, actor)
    page = _load(uow, access, cmd.web, cmd.topic)
    text = revision_text(uow.conn, cmd.web, cmd.topic, cmd.revision)
    if text is None or not page.live:
        raise NotFoundError(f"{cmd.web}.{cmd.topic} has no revision {cmd.revision}")
    page.restore(access.acting(cmd.web, cmd.topic), cmd.revision, text)
    return {"web": cmd.web, "topic": cmd.topic, "revision": page.revision}


def rename_page(cmd: c.RenamePage, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Rename, then rewrite links in referring topics (one "link update" revision each)."""
    access = Access(uow.conn, actor)
    old = _load(uow, access, cmd.web, cmd.topic)
    if not old.live:
        raise NotFoundError(f"topic {cmd.web}.{cmd.topic} not found")
    check_name(cmd.new_web, cmd.new_topic)
    if not access.allowed("CHANGE", cmd.new_web, cmd.new_topic, topic_prefs={}):
        raise PermissionDeniedError(f"you may not create topics in {cmd.new_web}")
    referrers = uow.conn.execute(sa.select(wiki_links.c.src_web, wiki_links.c.src_topic).where(
        wiki_links.c.dst_web == cmd.web, wiki_links.c.dst_topic == cmd.topic)
        .order_by(wiki_links.c.src_web, wiki_links.c.src_topic)).all()
    new = uow.get(Page, page_id(cmd.new_web, cmd.new_topic), must_exist=False)
    old.rename_to(access.acting(cmd.web, cmd.topic), new)
    updated, skipped = [], []
    for src_web, src_topic in referrers if cmd.update_links else []:
        if (src_web, src_topic) == (cmd.web, cmd.topic):
            continue
        page = uow.get(Page, page_id(src_web, src_topic), must_exist=False)
        rights = access.rights(src_web, src_topic)
        if not page.live or "WikiChange" not in rights:
            skipped.append(f"{src_web}.{src_topic}")
            continue
        text = rewrite_links(page.text, (cmd.web, cmd.topic), (cmd.new_web, cmd.new_topic),
                             src_web)
        if text != page.text:
            page.save(actor.with_rights(actor.rights | rights), text, summary="link update",
                      base_revision=page.current_revision)
            updated.append(f"{src_web}.{src_topic}")
    return {"web": cmd.new_web, "topic": cmd.new_topic, "revision": new.revision,
            "updated": updated, "not_updated": skipped}


def set_page_fields(cmd: c.SetPageFields, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    access = Access(uow.conn, actor)
    page = _load(uow, access, cmd.web, cmd.topic)
    page.set_fields(access.acting(cmd.web, cmd.topic),
                    clean_fields(uow.conn, cmd.web, cmd.fields))
    return {"web": cmd.web, "topic": cmd.topic, "fields": page.fields}


def add_attachment(cmd: c.AddAttachment, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    access = Access(uow.conn, actor)
    page = _load(uow, access, cmd.web, cmd.topic)
    version = page.attach(access.acting(cmd.web, cmd.topic), name=cmd.name, sha256=cmd.sha256,
                          size=cmd.size, content_type=cmd.content_type, comment=cmd.comment)
    return {"name": cmd.name, "version": version, "sha256": cmd.sha256, "size": cmd.size}


def subscribe(cmd: c.Subscribe, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    user = cmd.username or actor.name
    sub = uow.get(WikiSubscription, user, must_exist=False)
    sub.subscribe(actor, cmd.web, cmd.topic)
    return {"web": cmd.web, "topic": cmd.topic, "subscribed": True}


def unsubscribe(cmd: c.Unsubscribe, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    user = cmd.username or actor.name
    sub = uow.get(WikiSubscription, user, must_exist=False)
    sub.unsubscribe(actor, cmd.web, cmd.topic)
    return {"web": cmd.web, "topic": cmd.topic, "subscribed": False}


def record_digest_sent(cmd: c.RecordDigestSent, uow: UnitOfWork, actor: Actor) -> None:
    uow.get(WikiSubscription, cmd.username, must_exist=False).digest_sent(cmd.upto, cmd.count)


def register(bus: MessageBus) -> None:
    bus.register(c.SavePage, save_page)
    bus.register(c.ImportRevision, import_revision)
    bus.register(c.RestoreRevision, restore_revision)
    bus.register(c.RenamePage, rename_page)
    bus.register(c.SetPageFields, set_page_fields)
    bus.register(c.AddAttachment, add_attachment)
    bus.register(c.ImportAttachment, import_attachment)
    bus.register(c.Subscribe, subscribe)
    bus.register(c.Unsubscribe, unsubscribe)
    bus.register(c.RecordDigestSent, record_digest_sent)
