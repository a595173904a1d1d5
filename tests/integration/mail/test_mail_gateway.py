"""The real SMTP gateway: RCPT checks, durable storage, idempotency, size limit."""

from __future__ import annotations

import smtplib
import time
from typing import Any

import pytest
import requests
from mail_support import DOMAIN, MailEnv, make_mail, opt_in_cc

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub


def test_new_mail_opens_a_ticket(mail: MailEnv) -> None:
    mail.send(make_mail("Printer on fire", "Please help"))
    rows = mail.wait_processed(1)
    assert rows[0].state == "processed", rows[0].error
    (ticket,) = mail.tickets()
    assert ticket.subject == "Printer on fire"
    assert ticket.state["watchers"]["requestors"] == ["customer@example.com"]


def test_unknown_recipient_is_refused_at_rcpt(mail: MailEnv) -> None:
    with smtplib.SMTP("127.0.0.1", mail.port, timeout=30) as client:
        client.ehlo()
        client.mail("x@example.com")
        code, text = client.rcpt(f"nobody@{DOMAIN}")
        assert code == 550 and b"5.1.1" in text
        code, _ = client.rcpt("general@elsewhere.example")
        assert code == 550
        code, _ = client.rcpt(f"general-comment@{DOMAIN}")
        assert code == 250


def test_size_is_advertised_and_enforced(mail: MailEnv) -> None:
    with smtplib.SMTP("127.0.0.1", mail.port, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("size")
        assert int(client.esmtp_features["size"]) == mail.hub.settings.max_message_bytes


def test_same_message_twice_changes_nothing(mail: MailEnv) -> None:
    raw = make_mail("Only once", "same", msgid="<once@example.com>")
    mail.send(raw)
    mail.send(raw)
    rows = mail.wait_processed(2)
    assert [r.state for r in rows] == ["processed", "processed"]
    assert rows[0].result["ticket_id"] == rows[1].result["ticket_id"]
    assert len(mail.tickets()) == 1


def test_one_message_for_several_of_our_addresses_is_one_ticket(mail: MailEnv) -> None:
    opt_in_cc(mail.hub)
    raw = make_mail("Reply all", "cc", msgid="<cc@example.com>",
                    headers={"Cc": f"general-comment@{DOMAIN}, friend@example.com"})
    mail.send(raw, rcpts=[f"general@{DOMAIN}", f"general-comment@{DOMAIN}"])
    mail.send(raw, rcpts=[f"general-comment@{DOMAIN}"])
    mail.wait_processed(2)
    (ticket,) = mail.tickets()
    assert ticket.state["watchers"]["cc"] == ["friend@example.com"]


def test_storage_failure_answers_451(mail: MailEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.attachments import BlobStore

    def fail(*_: object, **__: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(BlobStore, "put", fail)
    with smtplib.SMTP("127.0.0.1", mail.port, timeout=30) as client, \
            pytest.raises(smtplib.SMTPDataError) as caught:
        client.sendmail("a@example.com", [f"general@{DOMAIN}"], make_mail("lost?"))
    assert caught.value.smtp_code == 451
    assert mail.tickets() == []


def test_hub_serve_runs_the_gateway(server: tuple[Any, Hub]) -> None:
    """``hub serve`` starts the gateway: a mail to its SMTP port becomes a ticket in the API."""
    srv, hub = server
    token = hub.bus.handle(ac.CreateToken(user="admin", name="t"), system_actor("cli"))["token"]
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=30) as client:
        client.sendmail("someone@example.com", [f"general@{DOMAIN}"],
                        make_mail("through serve", "hello", msgid="<serve@example.com>"))
    deadline = time.time() + 30
    found: list[dict[str, object]] = []
    while time.time() < deadline and not found:
        response = requests.get(f"{srv.url}/api/v1/tickets", timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
        found = [t for t in response.json()["tickets"] if t["subject"] == "through serve"]
        time.sleep(0.2)
    assert found and found[0]["requestors"] == ["customer@example.com"]  # the From header
