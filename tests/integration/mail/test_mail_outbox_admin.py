"""Visible outgoing mail: with no smarthost every message is held (never piled up
unseen), configuring one later sends nothing by itself, and an admin releases or
discards held mail on purpose through the API, the admin page or the CLI."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from mail_support import DOMAIN, MailEnv, add_staff, make_mail

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.db import writing
from hub.mail.commands import NO_SMARTHOST, Outgoing, enqueue
from hub.mail.outbound import OutboxSender
from hub.mail.tables import mail_outbox
from hub.reactors import run_once

PASSWORD = "password123"


def _rows(mail: MailEnv) -> list[Any]:
    with mail.hub.engine.connect() as conn:
        return list(conn.execute(sa.select(mail_outbox).order_by(mail_outbox.c.id)).all())


def _token(mail: MailEnv, user: str) -> str:
    return str(mail.hub.bus.handle(ac.CreateToken(user=user, name="t"),
                                   system_actor("cli"))["token"])


def _held_mail(mail: MailEnv, subject: str = "Printer on fire") -> Any:
    """A customer's mail opens a ticket while no smarthost is set: its autoreply is held."""
    mail.hub.settings = replace(mail.hub.settings, smarthost="")
    mail.send(make_mail(subject, "smoke everywhere", msgid=f"<{abs(hash(subject))}@example.com>"))
    mail.wait_processed(1)
    while run_once(mail.hub, mail.notifier):
        pass
    (row,) = [r for r in _rows(mail) if r.kind == "autoreply"]
    return row


class Api:
    def __init__(self, mail: MailEnv) -> None:
        add_staff(mail.hub, "alice", "alice@example.com")
        add_staff(mail.hub, "carl", "carl@example.com", role="customer")
        self.client = create_app(mail.hub).test_client()
        self.tokens = {u: _token(mail, u) for u in ("admin", "alice", "carl")}

    def __call__(self, method: str, path: str, user: str | None = "admin",
                 **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return self.client.open(path, method=method, headers=headers, **kw)


@pytest.fixture
def api(mail: MailEnv) -> Api:
    return Api(mail)


def test_without_smarthost_mail_is_held_and_a_later_smarthost_sends_nothing_by_itself(
        mail: MailEnv, api: Api) -> None:
    working = mail.hub.settings.smarthost
    row = _held_mail(mail)
    assert (row.state, row.last_error, row.attempts) == ("held", NO_SMARTHOST, 0)
    listed = api("GET", "/api/v1/mail/outbox?state=held").get_json()
    (message,) = listed["messages"]
    assert set(message) >= {"id", "to", "subject", "kind", "state", "attempts", "error",
                            "ticket_id", "created_at"}
    assert message["to"] == "customer@example.com" and message["state"] == "held"
    assert message["error"] == NO_SMARTHOST and message["ticket_id"] == row.ticket_id
    assert "Printer on fire" in message["subject"] and f"#{row.ticket_id}]" in message["subject"]
    assert listed["counts"]["held"] == 1

    mail.hub.settings = replace(mail.hub.settings, smarthost=working)  # configured later
    assert OutboxSender(mail.hub).send_due() == 0
    assert mail.sink.received == [] and _rows(mail)[0].state == "held"

    released = api("POST", f"/api/v1/mail/outbox/{row.id}/release")
    assert released.status_code == 200 and released.get_json() == {"released": [row.id]}
    ((_, rcpts, sent),) = mail.flush(expect=1)
    assert rcpts == ["customer@example.com"] and "Printer on fire" in str(sent["Subject"])
    with mail.hub.engine.connect() as conn:
        events = mail.hub.store.read_stream(conn, f"outmail-{row.id}")
    assert [(e.type, e.data["previous"], e.data["reason"]) for e in events] == [
        ("OutgoingMailReleased", "held", NO_SMARTHOST)]
    assert events[0].meta["actor"] == "admin"
    again = api("POST", f"/api/v1/mail/outbox/{row.id}/release")
    assert again.status_code == 409  # it is no longer held


def test_release_is_refused_while_no_smarthost_is_configured(mail: MailEnv, api: Api) -> None:
    row = _held_mail(mail)
    refused = api("POST", f"/api/v1/mail/outbox/{row.id}/release")
    assert refused.status_code == 409 and "HUB_SMARTHOST" in refused.get_json()["error"]
    assert _rows(mail)[0].state == "held"


def test_release_all_of_a_kind_and_discard(mail: MailEnv, api: Api) -> None:
    working = mail.hub.settings.smarthost
    autoreply = _held_mail(mail)
    with writing(mail.hub.engine) as conn:  # a second held message of another kind
        enqueue(conn, Outgoing(dedupe_key="test:digest", kind="wiki_digest", ticket_id=None,
                               recipient="bob@example.com", envelope_from=f"wiki@{DOMAIN}",
                               message_id="<d1@hub.test>", raw=make_mail("Digest", "x")),
                settings=mail.hub.settings)
    digest = _rows(mail)[-1]
    assert digest.state == "held"
    mail.hub.settings = replace(mail.hub.settings, smarthost=working)
    body = {"all": True, "kind": "wiki_digest"}
    assert api("POST", "/api/v1/mail/outbox/release", json=body).get_json() == {
        "released": [digest.id]}
    mail.flush(expect=1)
    assert [r for _, r, _ in mail.sink.messages()] == [["bob@example.com"]]

    discarded = api("POST", f"/api/v1/mail/outbox/{autoreply.id}/discard")
    assert discarded.status_code == 200 and discarded.get_json() == {"discarded": [autoreply.id]}
    row = next(r for r in _rows(mail) if r.id == autoreply.id)
    assert row.state == "discarded" and "discarded by admin" in row.last_error
    assert api("POST", f"/api/v1/mail/outbox/{autoreply.id}/release").status_code == 409
    assert api("POST", f"/api/v1/mail/outbox/{autoreply.id}/discard").status_code == 409
    assert api("POST", "/api/v1/mail/outbox/release", json={"all": True}).get_json() == {
        "released": []}
    mail.flush()
    assert len(mail.sink.received) == 1  # the discarded autoreply never went


def test_bad_input_is_a_clear_error(mail: MailEnv, api: Api) -> None:
    _held_mail(mail)
    assert api("GET", "/api/v1/mail/outbox?state=lost").status_code == 422
    assert api("GET", "/api/v1/mail/outbox?limit=many").status_code == 400
    assert api("GET", "/api/v1/mail/outbox?limit=0").status_code == 422
    assert api("GET", "/api/v1/mail/outbox/99999").status_code == 404
    assert api("POST", "/api/v1/mail/outbox/99999/release").status_code == 404
    for body in ({"ids": "1"}, {"ids": [True]}, {"all": "yes"}, {"what": 1}, {"kind": 3}):
        response = api("POST", "/api/v1/mail/outbox/release", json=body)
        assert response.status_code == 400, (body, response.get_json())
    assert api("POST", "/api/v1/mail/outbox/release", data="[").status_code == 400


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/mail/outbox"), ("GET", "/api/v1/mail/outbox/{id}"),
    ("POST", "/api/v1/mail/outbox/{id}/release"), ("POST", "/api/v1/mail/outbox/{id}/discard"),
    ("POST", "/api/v1/mail/outbox/release")])
def test_outsiders_customers_and_staff_get_nothing_from_the_api(
        mail: MailEnv, api: Api, method: str, path: str) -> None:
    row = _held_mail(mail)
    path = path.format(id=row.id)
    body = {"all": True} if path.endswith("/outbox/release") else None
    assert api(method, path, user=None, json=body).status_code == 401
    for user in ("carl", "alice"):
        response = api(method, path, user=user, json=body)
        assert response.status_code == 403, (user, response.get_json())
        assert "customer@example.com" not in response.get_data(as_text=True)
    assert _rows(mail)[0].state == "held"  # nothing changed


def _login(app: Flask, user: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": user, "password": password})
    assert response.status_code == 303, response.data[:300]
    return client


def test_the_admin_page_lists_shows_and_releases(mail: MailEnv) -> None:
    working = mail.hub.settings.smarthost
    row = _held_mail(mail, subject="<b>Bold</b> & <script>x</script>")
    app = create_app(mail.hub)
    app.config["WTF_CSRF_ENABLED"] = False
    admin = _login(app, "admin", "admin-password")
    page = admin.get("/admin/mail?state=held").get_data(as_text=True)
    assert "customer@example.com" in page and NO_SMARTHOST in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page and "<script>x" not in page
    assert f'href="/tickets/{row.ticket_id}"' in page and f'href="/admin/mail/{row.id}"' in page
    assert "none configured" in page and "disabled" in page  # no release without a smarthost
    one = admin.get(f"/admin/mail/{row.id}").get_data(as_text=True)
    assert "Auto-Submitted" in one and "auto-replied" in one and "Not sent yet" in one
    assert "&lt;script&gt;x&lt;/script&gt;" in one and "<script>x" not in one
    assert re.search(r"smoke everywhere|Printer|received your request", one)

    refused = admin.post("/admin/mail/release", data={"ids": str(row.id)},
                         follow_redirects=True).get_data(as_text=True)
    assert "Nothing released" in refused and "HUB_SMARTHOST" in refused
    mail.hub.settings = replace(mail.hub.settings, smarthost=working)
    done = admin.post("/admin/mail/release", data={"ids": str(row.id), "next": "/admin/mail"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/mail")
    mail.flush(expect=1)
    assert admin.get("/admin/mail/release").status_code == 405
    assert admin.get("/admin/mail?state=nonsense").status_code == 400


def test_the_admin_page_forms_need_the_csrf_token(mail: MailEnv) -> None:
    row = _held_mail(mail)
    app = create_app(mail.hub)
    app.config["WTF_CSRF_ENABLED"] = False
    admin = _login(app, "admin", "admin-password")
    app.config["WTF_CSRF_ENABLED"] = True
    page = admin.get("/admin/mail").get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)
    assert admin.post("/admin/mail/discard", data={"ids": str(row.id)}).status_code == 400
    assert _rows(mail)[0].state == "held"


def test_outsiders_customers_and_staff_get_nothing_from_the_page(mail: MailEnv) -> None:
    row = _held_mail(mail)
    add_staff(mail.hub, "alice", "alice@example.com")
    add_staff(mail.hub, "carl", "carl@example.com", role="customer")
    app = create_app(mail.hub)
    app.config["WTF_CSRF_ENABLED"] = False
    anonymous = app.test_client()
    for path in ("/admin/mail", f"/admin/mail/{row.id}"):
        response = anonymous.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    for user in ("carl", "alice"):
        client = _login(app, user)
        for path in ("/admin/mail", f"/admin/mail/{row.id}"):
            response = client.get(path)
            assert response.status_code == 403, (user, path)
            assert "customer@example.com" not in response.get_data(as_text=True)
        for path in ("/admin/mail/release", "/admin/mail/discard"):
            assert client.post(path, data={"ids": str(row.id)}).status_code == 403
    assert _rows(mail)[0].state == "held"


def _cli_env(mail: MailEnv, monkeypatch: pytest.MonkeyPatch, smarthost: str) -> None:
    settings = mail.hub.settings
    for name, value in (("HUB_DATA_DIR", str(settings.data_dir)), ("HUB_DATABASE_URL", ""),
                        ("HUB_SECRET_KEY", "test-secret"), ("HUB_MAIL_DOMAIN", DOMAIN),
                        ("HUB_SMARTHOST", smarthost)):
        monkeypatch.setenv(name, value)


def test_the_cli_lists_shows_releases_and_discards(mail: MailEnv,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.mail.cli import mail_group
    from hub.mail.outbox_cli import add_to

    add_to(mail_group)
    working = mail.hub.settings.smarthost
    row = _held_mail(mail)
    runner = CliRunner()
    _cli_env(mail, monkeypatch, "")
    listed = runner.invoke(mail_group, ["outbox", "--state", "held"])
    assert listed.exit_code == 0, listed.output
    header, line = listed.output.splitlines()[:2]
    assert header.split()[:5] == ["ID", "STATE", "KIND", "TO", "SUBJECT"]
    assert line.split()[:4] == [str(row.id), "held", "autoreply", "customer@example.com"]
    assert "in the outbox: 1 held" in listed.output and "hub mail release" in listed.output
    shown = runner.invoke(mail_group, ["show", str(row.id)])
    assert shown.exit_code == 0 and "Auto-Submitted: auto-replied" in shown.output
    refused = runner.invoke(mail_group, ["release", "--all"])
    assert refused.exit_code == 1 and "HUB_SMARTHOST" in refused.output
    assert runner.invoke(mail_group, ["release"]).exit_code == 2  # neither ids nor --all

    _cli_env(mail, monkeypatch, working)
    released = runner.invoke(mail_group, ["release", "--all"])
    assert released.exit_code == 0 and "released 1 message(s)" in released.output
    mail.flush(expect=1)
    assert runner.invoke(mail_group, ["discard", str(row.id)]).exit_code == 1  # sent now
    assert "no outgoing message 424242" in runner.invoke(
        mail_group, ["discard", "424242"]).output


def test_mail_queued_long_ago_is_held_by_a_sender_without_smarthost(mail: MailEnv) -> None:
    """Mail queued before held mail existed (or by a node with a smarthost) that no
    sender took does not flood out later: a sender with no smarthost holds it."""
    mail.hub.settings = replace(mail.hub.settings, smarthost="")  # the gateway's sender too
    with writing(mail.hub.engine) as conn:
        for key in ("old", "new"):
            enqueue(conn, Outgoing(dedupe_key=f"test:{key}", kind="wiki_digest", ticket_id=None,
                                   recipient=f"{key}@example.com", envelope_from=f"w@{DOMAIN}",
                                   message_id=f"<{key}@hub.test>", raw=make_mail(key, "x")),
                    settings=replace(mail.hub.settings, smarthost="elsewhere:25"))
        conn.execute(sa.update(mail_outbox).where(mail_outbox.c.recipient == "old@example.com")
                     .values(created_at=dt.datetime(2020, 1, 1)))
    assert OutboxSender(mail.hub).send_due() == 0
    states = {r.recipient: (r.state, r.last_error) for r in _rows(mail)}
    assert states == {"old@example.com": ("held", NO_SMARTHOST),
                      "new@example.com": ("queued", None)}
