"""Loop safety: no autoreply to robots, vacation replies or the null sender; a persistent
per-address rate limit; our own addresses never become watchers; our mail coming back
is dropped."""

from __future__ import annotations

from collections.abc import Callable

from mail_support import DOMAIN, MailEnv, make_mail, opt_in_cc

from hub.mail.notifier import MailNotifier
from hub.reactors import run_once


def test_vacation_reply_gets_no_autoreply(mail: MailEnv,
                                          fixture_mail: Callable[[str], bytes]) -> None:
    mail.send(fixture_mail("vacation_autoreply.eml"), mail_from="grace@customer.example")
    (row,) = mail.wait_processed(1)
    assert row.state == "processed"
    assert mail.flush() == []


def test_list_mail_gets_no_autoreply(mail: MailEnv, fixture_mail: Callable[[str], bytes]) -> None:
    mail.send(fixture_mail("list_mail.eml"), mail_from="ops-announce-bounces@lists.vendor.example")
    mail.wait_processed(1)
    assert mail.flush() == []


def test_nothing_is_sent_to_the_null_sender(mail: MailEnv) -> None:
    mail.send(make_mail("from nobody", "hi", msgid="<null@example.com>"), mail_from="")
    (row,) = mail.wait_processed(1)
    assert row.state == "processed"
    assert len(mail.tickets()) == 1
    assert mail.flush() == []


def test_our_own_mail_coming_back_is_dropped(mail: MailEnv) -> None:
    mail.send(make_mail("Re: [hub #1] x", "loop", msgid="<loop@example.com>",
                        headers={"X-OpsHub-Loop": DOMAIN}))
    (row,) = mail.wait_processed(1)
    assert row.result["action"] == "ignored"
    assert mail.tickets() == []


def test_autoreplies_are_rate_limited_across_restarts(mail: MailEnv) -> None:
    for i in range(4):
        mail.send(make_mail(f"request {i}", "x", msgid=f"<rl{i}@example.com>"))
    mail.wait_processed(4)
    mail.hub.settings.extra["mail"] = {"autoreply_limit": 3}
    assert len(mail.flush(expect=3)) == 3
    # A new notifier (as after a restart) still sees the persisted autoreply log.
    fresh = MailNotifier()
    mail.send(make_mail("request 5", "x", msgid="<rl5@example.com>"))
    mail.wait_processed(5)
    while run_once(mail.hub, fresh):
        pass
    assert len(mail.flush()) == 3
    assert len(mail.tickets()) == 5


def test_our_addresses_never_become_watchers(mail: MailEnv) -> None:
    opt_in_cc(mail.hub)  # outsiders' Cc count only where the queue says so
    raw = make_mail("cc us", "x", msgid="<w@example.com>",
                    headers={"Cc": f"general-comment@{DOMAIN}, general+t9.abcdefghij@{DOMAIN}, "
                                   "boss@example.com"})
    mail.send(raw)
    mail.wait_processed(1)
    (ticket,) = mail.tickets()
    watchers = ticket.state["watchers"]
    assert watchers["cc"] == ["boss@example.com"]
    assert all(not a.endswith("@" + DOMAIN) for role in watchers.values() for a in role)
