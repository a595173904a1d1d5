"""Mail digests of wiki changes for subscribers, composed by a scheduler job.

Subscriptions and "digest sent up to position N" are events on the subscriber's
``wikisub-<user>`` stream, so a digest is never sent twice for the same changes and
a crash between sending and recording can at worst repeat one digest.  Delivery goes
to the mail feature's outbox when it offers ``hub.mail.outbox.enqueue``; otherwise the
composed message is written to ``data_dir/outbox/wiki`` as an ``.eml`` file.
"""

from __future__ import annotations

import importlib
import logging
import os
import tempfile
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.accounts.auth import actor_for_user
from hub.accounts.tables import users
from hub.actors import system_actor
from hub.scheduler import register_jobs
from hub.wiki import commands as c
from hub.wiki.access import Access
from hub.wiki.tables import wiki_digests, wiki_pages, wiki_revisions, wiki_subscriptions

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
MAX_ITEMS = 200


def pending_changes(conn: sa.Connection, username: str, upto: int,
                    head: int) -> list[dict[str, Any]]:
    """Changes after ``upto`` (up to ``head``) in the user's webs/topics they may view."""
    actor = actor_for_user(conn, username, "scheduler")
    if actor is None:
        return []
    targets = conn.execute(sa.select(wiki_subscriptions.c.web, wiki_subscriptions.c.topic)
                           .where(wiki_subscriptions.c.username == username)).all()
    if not targets:
        return []
    conditions = [sa.and_(wiki_revisions.c.web == w, wiki_revisions.c.topic == t) if t
                  else wiki_revisions.c.web == w for w, t in targets]
    rows = conn.execute(
        sa.select(wiki_revisions.c.web, wiki_revisions.c.topic, wiki_revisions.c.revision,
                  wiki_revisions.c.author, wiki_revisions.c.summary, wiki_revisions.c.position,
                  wiki_pages.c.acl)
        .join(wiki_pages, sa.and_(wiki_pages.c.web == wiki_revisions.c.web,
                                  wiki_pages.c.topic == wiki_revisions.c.topic))
        .where(wiki_revisions.c.position > upto, wiki_revisions.c.position <= head,
               sa.or_(*conditions))
        .order_by(wiki_revisions.c.position).limit(MAX_ITEMS)).all()
    access = Access(conn, actor)
    return [{"web": r.web, "topic": r.topic, "revision": r.revision, "author": r.author,
             "summary": r.summary} for r in rows
            if access.allowed("VIEW", r.web, r.topic, r.acl)]


def compose_digest(hub: Hub, email: str, changes: list[dict[str, Any]]) -> EmailMessage:
    from hub.mail.compose import compose

    domain = hub.settings.mail_domain
    lines = [f"Changes in the wiki you subscribed to ({len(changes)}):", ""]
    for ch in changes:
        summary = f": {ch['summary']}" if ch["summary"] else ""
        lines.append(f"* {ch['web']}.{ch['topic']} r{ch['revision']} by {ch['author']}{summary}")
        lines.append(f"  /wiki/{ch['web']}/{ch['topic']}")
    return compose(email, f"Wiki digest: {len(changes)} change(s)", "\n".join(lines) + "\n",
                   from_addr=f"wiki@{domain}", message_id=make_msgid(domain=domain),
                   auto_submitted="auto-generated", loop_header_value=f"wiki-digest@{domain}")


def deliver(hub: Hub, message: EmailMessage, key: str) -> None:
    """Hand the digest to the mail outbox, or spool it as a file for it to pick up."""
    try:
        outbox: Any = importlib.import_module("hub.mail.outbox")
    except ImportError:
        outbox = None
    if outbox is not None and hasattr(outbox, "enqueue"):
        outbox.enqueue(hub, message, key=key)
        return
    spool = Path(hub.settings.data_dir) / "outbox" / "wiki"
    spool.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=spool, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(message.as_bytes())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, spool / f"{key.replace(':', '-')}.eml")


def send_digests(hub: Hub) -> int:
    """Send every due digest; returns how many were sent."""
    with hub.engine.connect() as conn:
        head = hub.store.last_position(conn)
        due = conn.execute(sa.select(wiki_digests.c.username, wiki_digests.c.upto, users.c.email)
                           .join(users, users.c.name == wiki_digests.c.username)
                           .where(wiki_digests.c.upto < head)).all()
    sent = 0
    for username, upto, email in due:
        with hub.engine.connect() as conn:
            changes = pending_changes(conn, username, int(upto), head)
        if changes:
            deliver(hub, compose_digest(hub, email, changes), f"wiki-digest:{username}:{head}")
            sent += 1
        hub.bus.handle(c.RecordDigestSent(username=username, upto=head, count=len(changes)),
                       system_actor("scheduler", "wiki-digest"),
                       idempotency_key=f"wiki-digest:{username}:{head}")
    return sent


@register_jobs
def _digest_job(hub: Hub, scheduler: BackgroundScheduler) -> None:
    def run() -> None:
        try:
            send_digests(hub)
        except Exception:
            log.exception("wiki digest failed")

    scheduler.add_job(run, "interval", hours=1, id="wiki-digest", replace_existing=True)


def register_job() -> None:
    """Importing this module registered the job once (``@register_jobs``); nothing else."""
