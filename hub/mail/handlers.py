"""Command handlers of the mail feature (template overrides, wiki digests) and the
templates' read model. Releasing and discarding outgoing mail: :mod:`hub.mail.outbox`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.config import Settings
from hub.domain import PermissionDeniedError
from hub.eventstore import StoredEvent
from hub.mail.commands import (
    Outgoing,
    ResetMailTemplate,
    SendWikiDigest,
    SetMailTemplate,
    enqueue,
)
from hub.mail.compose import DEFAULT_TEMPLATES, MailTemplate
from hub.mail.model import MailTemplateOverride
from hub.mail.tables import mail_templates
from hub.messagebus import MessageBus, UnitOfWork
from hub.projections import TableProjection
from hub.wiki import commands as wiki_commands


def set_mail_template(cmd: SetMailTemplate, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    template = uow.get(MailTemplateOverride, cmd.name, must_exist=False)
    template.set(actor, cmd.subject, cmd.text, cmd.html)
    uow.add(template)
    return {"name": cmd.name}


def reset_mail_template(cmd: ResetMailTemplate, uow: UnitOfWork,
                        actor: Actor) -> dict[str, Any]:
    template = uow.get(MailTemplateOverride, cmd.name, must_exist=False)
    template.reset(actor)
    uow.add(template)
    return {"name": cmd.name}


def send_wiki_digest(cmd: SendWikiDigest, uow: UnitOfWork, actor: Actor,
                     settings: Settings) -> dict[str, Any]:
    """Record the digest with the wiki and queue it in the same transaction (held while
    no smarthost is configured, like all mail)."""
    if not actor.is_system:
        raise PermissionDeniedError("digests are sent by the scheduler")
    wiki_commands.record_digest_sent(uow, cmd.username, cmd.upto, cmd.count)
    if cmd.raw is not None:
        out = Outgoing(dedupe_key=f"wiki-digest:{cmd.username}:{cmd.upto}", kind="wiki_digest",
                       ticket_id=None, recipient=cmd.recipient,
                       envelope_from=cmd.envelope_from, message_id=cmd.message_id, raw=cmd.raw)

        def queue(conn: sa.Connection) -> None:
            enqueue(conn, out, settings=settings)

        uow.write_with_commit(queue)
    return {"username": cmd.username, "upto": cmd.upto, "queued": cmd.raw is not None}


def register(bus: MessageBus, settings: Callable[[], Settings]) -> None:
    """``settings`` is asked per command: whether mail is held follows the current one."""

    def digest(cmd: SendWikiDigest, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        return send_wiki_digest(cmd, uow, actor, settings())

    bus.register(SetMailTemplate, set_mail_template)
    bus.register(ResetMailTemplate, reset_mail_template)
    bus.register(SendWikiDigest, digest)


class MailTemplatesProjection(TableProjection):
    """Current overrides, keyed by template name (no override row: the default applies)."""

    name = "mail_templates"
    tables = (mail_templates,)
    prefixes = ("mailtemplate-",)

    def on_MailTemplateChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        values = {"subject": d["subject"], "text": d["text"], "html": d.get("html"),
                  "version": e.version, "updated_by": str(e.meta.get("actor", ""))}
        done = conn.execute(sa.update(mail_templates)
                            .where(mail_templates.c.name == d["name"]).values(**values))
        if not done.rowcount:
            conn.execute(sa.insert(mail_templates).values(name=d["name"], **values))

    def on_MailTemplateReset(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.delete(mail_templates).where(mail_templates.c.name == e.data["name"]))


def load_template(conn: sa.Connection, name: str) -> MailTemplate:
    """The admin's override of ``name`` if any, else the built-in default."""
    row = conn.execute(sa.select(mail_templates).where(mail_templates.c.name == name)).first()
    if row is None:
        return DEFAULT_TEMPLATES[name]
    return MailTemplate(subject=row.subject, text=row.text, html=row.html)


def list_templates(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = {r.name: r for r in conn.execute(sa.select(mail_templates)).all()}
    out = []
    for name, default in DEFAULT_TEMPLATES.items():
        row = rows.get(name)
        current = MailTemplate(row.subject, row.text, row.html) if row else default
        out.append({"name": name, "subject": current.subject, "text": current.text,
                    "html": current.html, "overridden": row is not None,
                    "version": row.version if row else 0})
    return out
