"""Delivery status notifications, standard and loose."""

from __future__ import annotations

from collections.abc import Callable

from hub.mail.dsn import parse_dsn
from hub.mail.threading import parse_bounce_address, ticket_from_message_id

Raw = Callable[[str], bytes]


def test_postfix_dsn(raw: Raw) -> None:
    report = parse_dsn(raw("postfix_dsn.eml"))
    assert report is not None
    assert report.standard
    assert report.reporting_mta == "mail.hub.example.org"
    assert report.original_message_id == "<hub.t42.e1007.qg74hva2r7@hub.example.org>"
    assert report.original_subject == "[hub #42] Disk full on db1"
    (rcpt,) = report.recipients
    assert rcpt.final_recipient == "alice@customer.example"
    assert rcpt.original_recipient == "alice@customer.example"
    assert rcpt.action == "failed"
    assert rcpt.status == "5.1.1"
    assert rcpt.remote_mta == "mx.customer.example"
    assert rcpt.diagnostic_code == (
        "550 5.1.1 <alice@customer.example>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    assert rcpt.permanent
    msgid = report.original_message_id
    assert ticket_from_message_id(msgid, "hub.example.org", "test-secret") == 42


def test_postfix_dsn_return_path_attributes_it(raw: Raw) -> None:
    to = "bounces+t42.o77.alice=customer.example.jw6mr4udli@hub.example.org"
    assert to.encode() in raw("postfix_dsn.eml")
    ref = parse_bounce_address(to, "hub.example.org", "test-secret")
    assert ref is not None and (ref.ticket_id, ref.outgoing_id) == (42, "77")


def test_loose_bounce_without_report(raw: Raw) -> None:
    report = parse_dsn(raw("gmail_bounce_loose.eml"))
    assert report is not None
    assert not report.standard
    assert report.recipients == ()
    assert report.original_message_id == "<hub.t42.e1010.req.gs6rapsjau@hub.example.org>"
    assert report.original_subject == "[hub #42] Disk full on db1"


def test_not_a_bounce(raw: Raw) -> None:
    assert parse_dsn(raw("reply_quoted.eml")) is None
    assert parse_dsn(raw("vacation_autoreply.eml")) is None
    assert parse_dsn(b"\x00\xff garbage") is None


def test_human_reply_about_undeliverable_mail_is_not_a_bounce() -> None:
    raw = b"From: a@b.example\nSubject: Re: Undeliverable: invoice\n\nI got this bounce, help\n"
    assert parse_dsn(raw) is None


def test_daemon_with_null_sender_is_a_bounce() -> None:
    raw = b"From: MAILER-DAEMON@mx.example\nSubject: failure\n\nsomething went wrong\n"
    assert parse_dsn(raw) is None
    report = parse_dsn(raw, envelope_from="")
    assert report is not None and not report.standard


def test_headers_only_report_and_delayed_action() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example\nSubject: Delayed Mail (still being retried)\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type="delivery-status"; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nDelayed.\n"
        b"--b\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mx.example\n\n"
        b"Final-Recipient: rfc822; <Dave@Slow.example>\nAction: delayed\n"
        b"Status: 4.4.1 (connection timed out)\n\n"
        b"--b\nContent-Type: text/rfc822-headers\n\n"
        b"Message-ID: <hub.t7.e9.abcdefghij@hub.example.org>\nSubject: hello\n\n"
        b"--b--\n"
    )
    report = parse_dsn(raw)
    assert report is not None and report.standard
    (rcpt,) = report.recipients
    assert (rcpt.final_recipient, rcpt.action, rcpt.status) == ("dave@slow.example", "delayed",
                                                                "4.4.1")
    assert not rcpt.permanent
    assert report.original_message_id == "<hub.t7.e9.abcdefghij@hub.example.org>"
    assert report.original_subject == "hello"
