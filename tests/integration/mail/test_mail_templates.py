"""Admins edit mail templates (events of MailTemplate), used by the next mail."""

from __future__ import annotations

from mail_support import MailEnv, add_staff, make_mail

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor


def _token(mail: MailEnv, user: str) -> str:
    result = mail.hub.bus.handle(ac.CreateToken(user=user, name="t"), system_actor("cli"))
    return str(result["token"])


def test_admin_overrides_the_autoreply(mail: MailEnv) -> None:
    add_staff(mail.hub, "bob", "bob@example.com")
    client = create_app(mail.hub).test_client()
    admin = {"Authorization": f"Bearer {_token(mail, 'admin')}"}
    staff = {"Authorization": f"Bearer {_token(mail, 'bob')}"}
    body = {"subject": "We got it: {{ ticket.subject }}",
            "text": "Ticket {{ ticket.id }} is filed.\n", "html": "<p>{{ ticket.subject }}</p>"}
    assert client.put("/api/v1/mail/templates/autoreply", json=body, headers=staff
                      ).status_code == 403
    bad = client.put("/api/v1/mail/templates/autoreply", headers=admin,
                     json={"subject": "{% if %}", "text": "x"})
    assert bad.status_code == 422 and "template" in bad.get_json()["error"]
    assert client.put("/api/v1/mail/templates/nosuch", json=body, headers=admin
                      ).status_code == 422
    response = client.put("/api/v1/mail/templates/autoreply", json=body, headers=admin)
    assert response.status_code == 200 and response.get_json()["overridden"] is True
    listed = client.get("/api/v1/mail/templates", headers=admin).get_json()["templates"]
    assert {t["name"] for t in listed} >= {"autoreply", "correspondence", "comment"}

    mail.send(make_mail("<b>Printer</b>", "x", msgid="<tpl@example.com>"))
    mail.wait_processed(1)
    ((_, _, message),) = mail.flush(expect=1)
    assert "We got it: <b>Printer</b>" in message["Subject"]
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "&lt;b&gt;Printer&lt;/b&gt;" in html.get_content()
    with mail.hub.engine.connect() as conn:
        events = mail.hub.store.read_stream(conn, "mailtemplate-autoreply")
    assert [e.type for e in events] == ["MailTemplateChanged"]


def test_admin_page_lists_templates(mail: MailEnv) -> None:
    app = create_app(mail.hub)
    client = app.test_client()
    assert client.get("/admin/mail/templates").status_code in (302, 303, 401)
    app.config["WTF_CSRF_ENABLED"] = False
    page = client.post("/login", data={"username": "admin", "password": "admin-password"})
    assert page.status_code in (200, 302, 303)
    listing = client.get("/admin/mail/templates")
    assert listing.status_code == 200 and b"command_refused" in listing.data
    saved = client.post("/admin/mail/templates", data={
        "name": "resolved", "subject": "Done: {{ ticket.subject }}", "text": "done", "html": ""},
        follow_redirects=True)
    assert saved.status_code == 200 and b"Done: {{ ticket.subject }}" in saved.data
