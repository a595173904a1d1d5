"""The mail feature's aggregates: admin-editable templates and admins' decisions
about outgoing messages.

An override of a default template (``autoreply``, ``correspondence`` ...) is a
change someone made and may want to audit or undo, so it is recorded as events
on a ``mailtemplate-<name>`` stream like every other change in the hub. So is
releasing or discarding an outgoing message (``outmail-<outbox id>``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.actors import Actor
from hub.domain import Aggregate, PermissionDeniedError, StateConflictError, ValidationError
from hub.mail.compose import DEFAULT_TEMPLATES, MailTemplate, TemplateRenderError, render_template
from hub.mail.events import (
    MailTemplateChanged,
    MailTemplateReset,
    OutgoingMailDiscarded,
    OutgoingMailReleased,
)

MAX_TEMPLATE = 100_000
SAMPLE_CONTEXT: dict[str, Any] = {
    "ticket": {"id": 1, "subject": "Printer on fire", "queue": "General", "status": "new",
               "url": "http://hub.localhost/tickets/1", "owner": None, "priority": 0},
    "actor": "alice", "body": "Hello", "tag": "hub", "requestor_name": "Bob",
    "errors": ["example error"],
}


class MailTemplateOverride(Aggregate):
    stream_prefix = "mailtemplate"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.template: MailTemplate | None = None

    def set(self, actor: Actor, subject: str, text: str, html: str | None) -> None:
        """Check the admin right and that the template renders, then record it."""
        _need_admin(actor)
        if self.id not in DEFAULT_TEMPLATES:
            raise ValidationError(f"unknown template {self.id!r}",
                                  known=sorted(DEFAULT_TEMPLATES))
        for label, value in (("subject", subject), ("text", text), ("html", html or "")):
            if not isinstance(value, str) or len(value) > MAX_TEMPLATE:
                raise ValidationError(f"{label} must be text of at most {MAX_TEMPLATE} chars")
        if not subject.strip() or not text.strip():
            raise ValidationError("a template needs a subject and a text part")
        candidate = MailTemplate(subject=subject, text=text, html=html or None)
        try:
            render_template(candidate, SAMPLE_CONTEXT)
        except TemplateRenderError as exc:
            raise ValidationError(str(exc)) from exc
        if candidate != self.template:
            self._record(MailTemplateChanged(name=self.id, subject=subject, text=text,
                                             html=html or None))

    def reset(self, actor: Actor) -> None:
        _need_admin(actor)
        if self.template is not None:
            self._record(MailTemplateReset(name=self.id))

    def _on_MailTemplateChanged(self, d: dict[str, Any]) -> None:
        self.template = MailTemplate(subject=d["subject"], text=d["text"], html=d.get("html"))

    def _on_MailTemplateReset(self, d: dict[str, Any]) -> None:
        self.template = None


def _need_admin(actor: Actor) -> None:
    if not actor.can("AdminQueue"):
        raise PermissionDeniedError("editing mail templates needs an admin", right="AdminQueue")


RELEASABLE = ("held", "failed")
DISCARDABLE = ("held", "queued", "failed")


class OutgoingMail(Aggregate):
    """One outbox message as far as admins decided about it. Its delivery state lives in
    the outbox row (a delivery queue, not a read model), which the handler passes in."""

    stream_prefix = "outmail"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.discarded = False
        self.releases = 0

    def release(self, actor: Actor, row: Any) -> None:
        need_outbox_admin(actor)
        if self.discarded or row.state not in RELEASABLE:
            raise StateConflictError(
                f"message {row.id} is {row.state}: only held or failed mail is released",
                id=int(row.id), state=row.state)
        self._record(OutgoingMailReleased(outbox_id=int(row.id), recipient=row.recipient,
                                          kind=row.kind, previous=row.state,
                                          reason=row.last_error))

    def discard(self, actor: Actor, row: Any, now: dt.datetime) -> None:
        need_outbox_admin(actor)
        if row.state not in DISCARDABLE:
            raise StateConflictError(f"message {row.id} is {row.state}: nothing to discard",
                                     id=int(row.id), state=row.state)
        if row.locked_until is not None and row.locked_until > now:
            raise StateConflictError(f"message {row.id} is being sent right now",
                                     id=int(row.id))
        self._record(OutgoingMailDiscarded(outbox_id=int(row.id), recipient=row.recipient,
                                           kind=row.kind, previous=row.state))

    def _on_OutgoingMailReleased(self, d: dict[str, Any]) -> None:
        self.releases += 1

    def _on_OutgoingMailDiscarded(self, d: dict[str, Any]) -> None:
        self.discarded = True


def need_outbox_admin(actor: Actor) -> None:
    """The outbox names every recipient and holds private comments: admins only."""
    if not (actor.is_system or actor.role == "admin"):
        raise PermissionDeniedError("outgoing mail is for admins")
