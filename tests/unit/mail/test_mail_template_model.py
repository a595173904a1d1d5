"""The MailTemplateOverride aggregate: admins only, known names, templates must render."""

from __future__ import annotations

import pytest

from hub.actors import Actor, system_actor
from hub.domain import PermissionDeniedError, ValidationError
from hub.mail.model import MailTemplateOverride

ADMIN = Actor(name="root", role="admin", source="api")
STAFF = Actor(name="bob", role="staff", source="api")


def test_admin_sets_and_resets_a_template() -> None:
    template = MailTemplateOverride("autoreply")
    template.set(ADMIN, "Hi {{ ticket.subject }}", "body", None)
    template.set(ADMIN, "Hi {{ ticket.subject }}", "body", None)  # unchanged: no event
    template.reset(system_actor())
    assert [e.type for e in template.pending] == ["MailTemplateChanged", "MailTemplateReset"]
    assert template.template is None


def test_staff_may_not_edit_templates() -> None:
    with pytest.raises(PermissionDeniedError):
        MailTemplateOverride("autoreply").set(STAFF, "s", "t", None)


@pytest.mark.parametrize(("name", "subject", "text"), [
    ("nosuch", "s", "t"), ("autoreply", "{% if %}", "t"), ("autoreply", "", "t"),
    ("autoreply", "s", "{{ 'x' * 10000000 }}"),
])
def test_bad_templates_are_refused(name: str, subject: str, text: str) -> None:
    with pytest.raises(ValidationError):
        MailTemplateOverride(name).set(ADMIN, subject, text, None)


def test_template_events_keep_the_stored_keys() -> None:
    """Databases written before typed events hold these payloads; they must still read."""
    from hub.event_registry import decode
    from hub.mail.events import MailTemplateChanged, MailTemplateReset

    template = MailTemplateOverride("autoreply")
    template.set(ADMIN, "Hi", "body", "<p>body</p>")
    template.reset(ADMIN)
    changed, reset = template.pending
    assert changed.data == {"name": "autoreply", "subject": "Hi", "text": "body",
                            "html": "<p>body</p>"}
    assert reset.data == {"name": "autoreply"}
    old = {"name": "autoreply", "subject": "Hi", "text": "body", "html": None}
    assert decode("MailTemplateChanged", 1, old) == MailTemplateChanged(
        name="autoreply", subject="Hi", text="body")
    assert decode("MailTemplateReset", 1, {"name": "x"}) == MailTemplateReset(name="x")
    replayed = MailTemplateOverride("autoreply")
    replayed._on_MailTemplateChanged(old)
    assert replayed.template is not None and replayed.template.html is None
