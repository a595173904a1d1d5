"""RFC 3834 autoreply rules and the rate limiter."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from hub.mail.loops import AutoreplyLimiter, autoreply_allowed, is_robot_address, may_autoreply
from hub.mail.parsing import LOOP_HEADER, ParsedMail, parse_message

Load = Callable[[str], ParsedMail]
OWN = ("general@hub.example.org", "general-comment@hub.example.org")


def test_normal_customer_mail_gets_a_reply(parsed: Load) -> None:
    assert may_autoreply(parsed("crlf.eml"), "heidi@customer.example", OWN) == (True, "ok")


def test_vacation_reply_is_not_answered(parsed: Load) -> None:
    ok, reason = may_autoreply(parsed("vacation_autoreply.eml"), "grace@customer.example", OWN)
    assert not ok and reason == "Auto-Submitted: auto-replied (vacation)"


def test_list_mail_is_not_answered(parsed: Load) -> None:
    ok, reason = may_autoreply(parsed("list_mail.eml"), None, OWN)
    assert not ok and reason == "Precedence: list"


def test_dsn_and_null_sender(parsed: Load) -> None:
    assert may_autoreply(parsed("postfix_dsn.eml"), None, OWN) == (False, "null return path")
    assert may_autoreply(parsed("gmail_bounce_loose.eml"), "x@y.example", OWN) == (
        False,
        "delivery status notification",
    )
    assert may_autoreply(parsed("crlf.eml"), "<>", OWN) == (False, "null return path")
    assert may_autoreply(parsed("crlf.eml"), "", OWN) == (False, "null return path")


def _mail(headers: str, sender: str = "user@customer.example") -> ParsedMail:
    return parse_message(f"From: {sender}\nSubject: s\n{headers}\nbody\n".encode())


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-generated\n", "Auto-Submitted: auto-generated"),
        ("Precedence: bulk\n", "Precedence: bulk"),
        ("Precedence: JUNK\n", "Precedence: junk"),
        ("List-Id: <x.lists.example>\n", "mailing list (List-Id)"),
        (f"{LOOP_HEADER}: hub.example.org\n", "our loop header is present"),
        ("X-Auto-Response-Suppress: OOF, AutoReply\n", "X-Auto-Response-Suppress: oof, autoreply"),
        ("X-Loop: general@hub.example.org\n", "X-Loop names us"),
    ],
)
def test_header_rules(headers: str, reason: str) -> None:
    assert may_autoreply(_mail(headers), "user@customer.example", OWN) == (False, reason)


def test_auto_submitted_no_is_a_human() -> None:
    assert may_autoreply(_mail("Auto-Submitted: no\n"), "user@customer.example", OWN)[0]


@pytest.mark.parametrize(
    "sender",
    ["MAILER-DAEMON@mx.example", "postmaster@x.example", "owner-list@x.example",
     "list-request@x.example", "noreply@shop.example"],
)
def test_robot_senders(sender: str) -> None:
    ok, reason = may_autoreply(_mail("", sender=sender), sender, OWN)
    assert not ok and reason == f"automated sender {sender.lower()}"


def test_own_addresses_and_domains() -> None:
    mail = _mail("", sender="General@hub.example.org")
    assert may_autoreply(mail, None, OWN) == (False, "our own address general@hub.example.org")
    signed = _mail("", sender="general+t1.abcdefghij@hub.example.org")
    assert may_autoreply(signed, None, OWN)[0]
    assert not may_autoreply(signed, None, OWN, own_domains=("hub.example.org",))[0]


def test_envelope_sender_is_checked_too() -> None:
    ok, reason = may_autoreply(_mail(""), "mailer-daemon@relay.example", OWN)
    assert not ok and reason == "automated sender mailer-daemon@relay.example"


def test_missing_sender_gets_no_reply() -> None:
    mail = dataclasses.replace(_mail(""), from_addr=None)
    assert may_autoreply(mail, None, OWN) == (False, "no sender address")


def test_is_robot_address() -> None:
    assert is_robot_address("<Mailer-Daemon@x.example>")
    assert is_robot_address("bounces+abc@x.example")
    assert not is_robot_address("alice@x.example")
    assert not is_robot_address("requester@x.example")


def test_autoreply_allowed_pure() -> None:
    assert autoreply_allowed([], 1000.0, 1, 60.0)
    assert not autoreply_allowed([990.0], 1000.0, 1, 60.0)
    assert autoreply_allowed([940.0], 1000.0, 1, 60.0)  # exactly one window ago: expired
    assert autoreply_allowed([990.0, 995.0], 1000.0, 3, 60.0)


def test_limiter_window_and_case() -> None:
    limiter = AutoreplyLimiter(limit=2, window=60.0)
    assert limiter.allow("A@x.example", 0.0)
    assert limiter.allow("a@x.example", 10.0)
    assert not limiter.allow("a@X.example", 20.0)
    assert limiter.recent("a@x.example", 20.0) == 2
    assert limiter.allow("b@x.example", 20.0)  # per address
    assert not limiter.allow("a@x.example", 59.0)
    assert limiter.allow("a@x.example", 60.5)  # the first reply left the window
    assert limiter.recent("a@x.example", 60.5) == 2


def test_limiter_bounds_memory() -> None:
    limiter = AutoreplyLimiter(limit=1, window=3600.0, max_addresses=3)
    for i in range(10):
        assert limiter.allow(f"u{i}@x.example", float(i))
    assert len(limiter._sent) == 3
    assert not limiter.allow("u9@x.example", 20.0)


def test_limiter_rejects_bad_config() -> None:
    with pytest.raises(ValueError):
        AutoreplyLimiter(limit=1, window=0)
