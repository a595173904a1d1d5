"""Mail digests of wiki changes for subscribers, composed by an hourly scheduler job.

The wiki keeps the subscriptions and how far each subscriber's digest got; mail
reads them through ``hub.wiki.queries``, builds the subscriber's actor through
accounts (so a digest lists only what the subscriber may view), composes one
message and sends :class:`~hub.mail.commands.SendWikiDigest`: one transaction
queues it in the outbox (dedupe key ``wiki-digest:<user>:<position>``) and records
it with the wiki, so a digest is never lost and never sent twice for the same
changes. The outbox sender delivers it like any other mail.
"""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hub.accounts.queries import actor_for_name
from hub.actors import system_actor
from hub.mail.commands import SendWikiDigest
from hub.mail.compose import compose
from hub.scheduler import register_jobs
from hub.wiki import queries as wq

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
SCHEDULER = system_actor("scheduler", "wiki-digest")


def compose_digest(hub: Hub, email: str, changes: list[dict[str, Any]]) -> EmailMessage:
    """One plain-text message listing ``changes`` (oldest first) with links to them
    (absolute, from ``HUB_BASE_URL``: a mail reader has no base to resolve them against)."""
    domain, base = hub.settings.mail_domain, hub.settings.public_url
    lines = [f"Changes in the wiki you subscribed to ({len(changes)}):", ""]
    for ch in changes:
        summary = f": {ch['summary']}" if ch["summary"] else ""
        lines.append(f"* {ch['web']}.{ch['topic']} r{ch['revision']} by {ch['author']}{summary}")
        lines.append(f"  {base}/wiki/{quote(ch['web'], safe='')}/{quote(ch['topic'], safe='')}")
    return compose(email, f"Wiki digest: {len(changes)} change(s)", "\n".join(lines) + "\n",
                   from_addr=f"wiki@{domain}", message_id=make_msgid(domain=domain),
                   auto_submitted="auto-generated", loop_header_value=f"wiki-digest@{domain}")


def _command(hub: Hub, username: str, upto: int, head: int) -> SendWikiDigest:
    """What to send ``username`` for the changes after ``upto``: a message, or nothing."""
    with hub.engine.connect() as conn:
        actor = actor_for_name(conn, username, "scheduler")
        changes = wq.changes_since(conn, actor, upto, head) if actor and actor.email else []
    if actor is None or not changes:
        return SendWikiDigest(username=username, upto=head, count=0)
    message = compose_digest(hub, actor.email, changes)
    return SendWikiDigest(username=username, upto=head, count=len(changes),
                          recipient=actor.email.lower(),
                          envelope_from=f"wiki@{hub.settings.mail_domain}",
                          message_id=str(message["Message-ID"]),
                          raw=message.as_bytes(policy=policy.SMTP))


def send_digests(hub: Hub) -> int:
    """Queue every due digest; returns how many messages were queued."""
    with hub.engine.connect() as conn:
        head = hub.store.last_position(conn)
        due = wq.digests_due(conn, head)
    sent = 0
    for username, upto in due:
        command = _command(hub, username, upto, head)
        hub.bus.handle(command, SCHEDULER, idempotency_key=f"wiki-digest:{username}:{head}")
        sent += command.raw is not None
    wakeup = hub.services.get("mail.outbox_wakeup")
    if sent and wakeup is not None:
        wakeup.set()
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
