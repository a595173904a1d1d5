"""Mail we said 250 to is never lost, and real-world shapes are read faithfully.

Everything goes over real SMTP into a real ``hub serve`` (tests/integration/mail/served.py)
and is checked through the API, the blob store it wrote and the desk's web pages (every
ticket a fixture opens must render, attachments included). The fixtures were written for
these tests, each after a shape real clients and MTAs send (tests/fixtures/mail/).
"""

# ruff: noqa: RUF001 - the fixtures are about non-ASCII text, confusables included
from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import requests
from mail_support import DOMAIN, FIXTURES, RELAY, make_mail
from served import ALICE, CUSTOMER, Served

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.attachments import BlobStore

SITE_ENCODINGS = "utf-8, cp1252, iso-8859-1, koi8-r, cp1251, shift_jis, gb18030"
MALLORY = "mallory@evil.example"


def _created(hub: Served, ticket_id: int) -> dict[str, Any]:
    return next(h for h in hub.history(ticket_id) if h["type"] == "TicketCreated")["data"]


def _blob(hub: Served, sha256: str) -> bytes:
    return BlobStore(hub.hub.settings.data_dir / "blobs").get(sha256)


def _attachments(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["filename"]: a for a in data["attachments"]}


def _pages_render(hub: Served, ticket_id: int) -> None:
    """The desk shows the ticket and serves each attachment (never a 500)."""
    page = hub.web_page(f"/tickets/{ticket_id}")
    assert page.status_code == 200, page.text[-500:]
    for att in _created(hub, ticket_id)["attachments"]:
        got = hub.web_page(f"/tickets/{ticket_id}/attachments/{att['sha256']}")
        assert got.status_code == 200 and len(got.content) == att["size"], att


def _customer_token(hub: Served, name: str, email: str) -> str:
    hub.hub.bus.handle(ac.CreateUser(name=name, email=email, role="customer",
                                     password="password123"), system_actor("cli"))
    return str(hub.hub.bus.handle(ac.CreateToken(user=name, name="t"),
                                  system_actor("cli"))["token"])


def _as(hub: Served, token: str, path: str) -> requests.Response:
    return requests.get(hub.srv.url + path, timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def _queue_tickets(hub: Served, queue: str) -> list[dict[str, Any]]:
    return list(hub.api("GET", "/api/v1/tickets", params={"queue": queue}).json()["tickets"])


# -- 1. never drop a message after 250 ---------------------------------------------------

def test_a_two_megabyte_log_paste_over_smtp_becomes_a_ticket(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    lines = [f"2026-12-01T10:{n // 60 % 60:02d}:{n % 60:02d} web-01 nginx[812]: upstream "
             f"timed out (110) while reading response header, request {n}" for n in range(19000)]
    text = "\n".join(lines) + "\n"
    assert len(text) > 2_000_000
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = CUSTOMER, f"general@{DOMAIN}", "nginx log"
    msg["Message-ID"] = "<log-paste-1@example.com>"
    msg.set_content(text)
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))  # SMTP lines end in CRLF
    assert len(raw) < 25 * 1024 * 1024  # far below the size limit: the 250 is owed
    hub.send(raw, f"general@{DOMAIN}", CUSTOMER)
    (row,) = hub.inbox(1, timeout=120)
    assert row.state == "processed", row.error
    assert row.result["action"] == "created" and row.result["moved"] == ["body.txt"]
    ticket_id = int(row.result["ticket_id"])
    data = _created(hub, ticket_id)
    assert len(data["body"]) < 1_000_000 and data["body"].startswith(lines[0])
    assert "the complete text is attached as body.txt" in data["body"]
    full = _attachments(data)["body.txt"]
    assert _blob(hub, full["sha256"]).decode() == text  # every line, none lost
    assert hub.mail_to(CUSTOMER)[0]["Subject"].endswith("nginx log")  # the sender is told
    _pages_render(hub, ticket_id)


def test_mail_that_cannot_be_processed_opens_a_ticket_in_the_admin_queue(
        serve: Callable[..., Served]) -> None:
    hub = serve(mail_conf={"error_queue": "Postmaster"})
    response = hub.api("POST", "/api/v1/queues", json={"name": "Staff",
                                                        "customers_may_create": False})
    assert response.status_code == 201, response.text
    time.sleep(2.5)  # the gateway's address book reloads queues every 2 s
    token = _customer_token(hub, "olga", "olga@example.net")
    raw = make_mail("let me in", "please open a ticket", sender="olga@example.net",
                    to=f"staff@{DOMAIN}", msgid="<staff-only@example.net>")
    hub.send(raw, f"staff@{DOMAIN}", "olga@example.net")
    (row,) = hub.inbox(1)
    # Refused as before (``hub mail retry`` can redo it after a fix), but not silently:
    assert row.state == "failed" and row.error
    assert row.result["action"] == "admin_queue"
    (held,) = _queue_tickets(hub, "Postmaster")
    assert held["id"] == row.result["ticket_id"] and held["requestors"] == []
    data = _created(hub, held["id"])
    assert "olga@example.net" in data["body"] and row.error in data["body"]
    original = _attachments(data)["message.eml"]
    assert original["sha256"] == row.sha256  # the very bytes stored before the 250
    assert _blob(hub, row.sha256).startswith(raw)  # (smtplib ends the data with CRLF)
    queues = {q["name"]: q for q in hub.api("GET", "/api/v1/queues").json()["queues"]}
    assert queues["Postmaster"]["customers_may_create"] is False
    assert _as(hub, token, f"/api/v1/tickets/{held['id']}").status_code == 404
    hub.settle()
    assert hub.mail_to("olga@example.net", 0) == []
    _pages_render(hub, held["id"])


# -- 10. unauthenticated mail to a ticket is kept, applies nothing, leaks nothing ---------

def test_staff_reply_without_the_relays_pass_is_kept_as_a_marked_private_comment(
        serve: Callable[..., Served]) -> None:
    hub = serve(relays=RELAY)
    ticket_id, _ = hub.open_ticket()
    token = _customer_token(hub, "cust", CUSTOMER)
    hub.send(make_mail(f"Re: [hub #{ticket_id}] VPN down", "Status: resolved\n\n"
                       "I rebooted the VPN concentrator.", sender=ALICE,
                       msgid="<alice-unverified@example.com>"), f"general@{DOMAIN}", ALICE)
    rows = hub.inbox(2)
    assert rows[1].state == "processed", rows[1].error
    assert rows[1].result["action"] == "comment" and rows[1].result["unverified"] is True
    (note,) = [h for h in hub.history(ticket_id) if h["type"] == "TicketCommented"]
    assert note["actor"] == ALICE and note["data"]["authenticated"] is False
    assert note["data"]["body"].startswith(f"[Mail from an unverified sender <{ALICE}>")
    assert "I rebooted the VPN concentrator." in note["data"]["body"]
    assert hub.ticket(ticket_id)["status"] != "resolved"  # no command applied
    seen = _as(hub, token, f"/api/v1/tickets/{ticket_id}/history").json()
    assert "rebooted" not in str(seen)  # the customer never sees it
    hub.settle()
    assert len(hub.mail_to(CUSTOMER, 0)) == 1  # only the autoreply: nothing mailed on
    page = hub.web_page(f"/tickets/{ticket_id}")
    assert page.status_code == 200 and "unverified sender" in page.text


def test_outsider_mail_to_a_leaked_reply_address_goes_to_the_admin_queue(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    ticket_id, customer_reply_to = hub.open_ticket()
    before = hub.history(ticket_id)
    hub.send(make_mail("Re: VPN down", "Status: resolved\n\nclick http://evil.example/",
                       sender=MALLORY, to=customer_reply_to, msgid="<leak@evil.example>"),
             customer_reply_to, MALLORY)
    rows = hub.inbox(2)
    assert rows[1].state == "processed", rows[1].error
    assert rows[1].result["action"] == "admin_queue"
    assert rows[1].result["for_ticket"] == ticket_id
    assert hub.history(ticket_id) == before  # nothing added to the ticket itself
    (held,) = _queue_tickets(hub, "Mail-Errors")
    data = _created(hub, held["id"])
    assert f"ticket #{ticket_id}" in data["body"] and MALLORY in data["body"]
    original = _blob(hub, _attachments(data)["message.eml"]["sha256"])
    assert original.startswith(b"From: " + MALLORY.encode())
    hub.settle()
    assert hub.mail_to(MALLORY, 0) == [] and len(hub.mail_to(CUSTOMER, 0)) == 1


# -- 2-7: real-world shapes --------------------------------------------------------------

def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_real_world_shapes_over_smtp_are_kept_faithfully(serve: Callable[..., Served]) -> None:
    hub = serve(env_extra={"HUB_MAIL_INPUT_ENCODINGS": SITE_ENCODINGS})
    sent = [("forwarded_malformed.eml", "dana@example.com"),
            ("undeclared_koi8r.eml", "ivan@example.ru"),
            ("uuencoded.eml", "old.client@example.com"),
            ("broken_encoded_words.eml", "juergen@example.de"),
            ("dotless_sender.eml", "root@localhost"),
            ("empty_sender.eml", "")]
    for name, envelope in sent:
        hub.send(_fixture(name), f"general@{DOMAIN}", envelope)
    rows = hub.inbox(len(sent), timeout=60)
    assert [r.state for r in rows] == ["processed"] * len(sent), [r.error for r in rows]
    ids = [int(r.result["ticket_id"]) for r in rows]
    forwarded, koi8, uu, words, dotless, empty = (_created(hub, i) for i in ids)

    raw = _fixture("forwarded_malformed.eml")
    inner = raw[raw.index(b"Received: from mx.partner"):raw.index(b"\r\n--=-outer-=--")]
    assert _blob(hub, _attachments(forwarded)["attachment-1.eml"]["sha256"]) == inner

    assert koi8["subject"] == "Сервер не отвечает"
    assert koi8["body"].startswith("Здравствуйте!")
    assert _blob(hub, _attachments(koi8)["message.eml"]["sha256"]) == \
        _fixture("undeclared_koi8r.eml")  # the guess is checkable against the original

    files = _attachments(uu)
    assert _blob(hub, files["dump.bin"]["sha256"]) == bytes(range(256)) * 3 + \
        b"uuencoded payload end"
    assert _blob(hub, files["report.txt"]["sha256"]) == b"disk usage report\nsda1 91%\n"
    assert "begin 644" not in uu["body"]

    assert words["subject"] == "Grüße aus Köln – Drucker kaputt"
    assert {"attachment-1.bin", "attachment-2.pdf", "Prüfbericht März.txt"} <= set(
        _attachments(words))

    assert hub.ticket(ids[4])["requestors"] == ["root@localhost"]
    assert hub.ticket(ids[5])["requestors"] == []  # an empty address is nobody
    assert dotless["subject"].startswith("Cron") and empty["body"].startswith("a message")
    for ticket_id in ids:
        _pages_render(hub, ticket_id)


def test_report_without_report_type_is_a_bounce_attributed_as_before(
        serve: Callable[..., Served]) -> None:
    hub = serve()
    gone = "gone@example.org"
    hub.send(make_mail("hello", "x", sender=gone, msgid="<gone1@example.org>"),
             f"general@{DOMAIN}", gone)
    hub.inbox(1)
    autoreply = hub.mail_to(gone)[0]
    (ticket,) = hub.api("GET", "/api/v1/tickets").json()["tickets"]
    dsn = _fixture("dsn_without_report_type.eml").replace(b"BOUNCE_TO", f"general@{DOMAIN}"
                                                          .encode())
    dsn = dsn.replace(b"ORIGINAL_MSGID", str(autoreply["Message-ID"]).encode())
    hub.send(dsn, f"general@{DOMAIN}", "")
    rows = hub.inbox(2)
    assert rows[1].result["action"] == "bounce", rows[1].result
    (failure,) = [h for h in hub.history(ticket["id"]) if h["type"] == "TicketDeliveryFailed"]
    assert failure["data"]["recipient"] == gone and failure["data"]["status"] == "5.1.1"
    assert len(hub.api("GET", "/api/v1/tickets").json()["tickets"]) == 1
