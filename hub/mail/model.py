"""Admin-editable mail templates as an event-sourced aggregate.

An override of a default template (``autoreply``, ``correspondence`` ...) is a
change someone made and may want to audit or undo, so it is recorded as events
on a ``mailtemplate-<name>`` stream like every other change in the hub.
"""

from __future__ import annotations

from typing import Any

from hub.actors import Actor
from hub.domain import Aggregate, PermissionDeniedError, ValidationError
from hub.mail.compose import DEFAULT_TEMPLATES, MailTemplate, TemplateRenderError, render_template
from hub.mail.events import MailTemplateChanged, MailTemplateReset

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
