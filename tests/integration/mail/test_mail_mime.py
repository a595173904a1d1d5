"""The MIME fixtures through the real gateway: each becomes a ticket (or, for bounces,
none), attachments land in the blob store, HTML is sanitised, nothing crashes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mail_support import MailEnv

from hub.attachments import BlobStore

TICKET_FIXTURES = [
    "alternative.eml", "attachment_rfc2231.eml", "crlf.eml", "html_only_xss.eml",
    "inline_cid.eml", "missing_charset.eml", "no_message_id.eml", "reply_quoted.eml",
    "subject_latin1_q.eml", "subject_utf8_b.eml", "unknown_charset.eml",
    "wrong_charset_ascii.eml", "commands.eml", "forwarded_malformed.eml",
    "undeclared_koi8r.eml", "uuencoded.eml", "broken_encoded_words.eml", "dotless_sender.eml",
    "empty_sender.eml",
]


def _created(mail: MailEnv) -> dict[str, object]:
    (ticket,) = mail.tickets()
    with mail.hub.engine.connect() as conn:
        (event,) = mail.hub.store.read_stream(conn, f"ticket-{ticket.id}")[:1]
    return event.data


@pytest.mark.parametrize("name", TICKET_FIXTURES)
def test_fixture_opens_a_ticket(mail: MailEnv, fixture_mail: Callable[[str], bytes],
                                name: str) -> None:
    mail.send(fixture_mail(name))
    (row,) = mail.wait_processed(1)
    assert row.state == "processed", row.error
    data = _created(mail)
    assert data["message_id"] and data["subject"]
    if data.get("html") is not None:  # left out of the event when None
        assert "<script" not in str(data["html"]).lower()
        assert "onerror" not in str(data["html"]).lower()
    store = BlobStore(mail.hub.settings.data_dir / "blobs")
    for att in data["attachments"]:  # type: ignore[attr-defined]
        assert store.exists(att["sha256"]) and att["size"] >= 0


def test_attachments_are_stored_with_their_names(mail: MailEnv,
                                                 fixture_mail: Callable[[str], bytes]) -> None:
    mail.send(fixture_mail("attachment_rfc2231.eml"))
    mail.wait_processed(1)
    attachments = _created(mail)["attachments"]
    assert attachments and all(a["filename"] for a in attachments)  # type: ignore[attr-defined]
    store = BlobStore(mail.hub.settings.data_dir / "blobs")
    first = attachments[0]  # type: ignore[index]
    assert len(store.get(first["sha256"])) == first["size"]


def test_html_only_mail_is_sanitised(mail: MailEnv,
                                     fixture_mail: Callable[[str], bytes]) -> None:
    mail.send(fixture_mail("html_only_xss.eml"))
    mail.wait_processed(1)
    data = _created(mail)
    assert data["html"] and "<script" not in str(data["html"]).lower()
    assert data["body"]  # the text rendering of the HTML


@pytest.mark.parametrize("name", ["postfix_dsn.eml", "gmail_bounce_loose.eml"])
def test_bounces_never_open_tickets(mail: MailEnv, fixture_mail: Callable[[str], bytes],
                                    name: str) -> None:
    mail.send(fixture_mail(name), mail_from="")
    (row,) = mail.wait_processed(1)
    assert row.state == "processed"
    assert row.result["action"] in ("bounce", "bounce_ignored")
    assert mail.tickets() == []
    assert mail.flush() == []
