"""Helpers for the mail integration tests: a sink smarthost, the gateway env, mail builders."""

from __future__ import annotations

import os
import smtplib
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.mail.notifier import MailNotifier
from hub.mail.outbound import OutboxSender
from hub.mail.tables import mail_inbox
from hub.reactors import run_once
from hub.tickets.tables import tickets

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
DOMAIN = "hub.test"


def shared_dir() -> Path:
    """The read-only ``shared/`` folder beside the checkout (same rule as tests/conftest.py)."""
    env = os.environ.get("HUB_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared"


def add_staff(hub: Hub, name: str, email: str, role: str = "staff") -> None:
    hub.bus.handle(ac.CreateUser(name=name, email=email, role=role, password="password123"),
                   system_actor("cli"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    """Collects what the hub sends to its smarthost."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  bytes(envelope.original_content or envelope.content)))
        return "250 OK"

    def messages(self) -> list[tuple[str, list[str], EmailMessage]]:
        with self.lock:
            return [(f, r, message_from_bytes(raw, policy=policy.default))  # type: ignore[misc]
                    for f, r, raw in self.received]


@dataclass
class MailEnv:
    hub: Hub
    port: int
    sink: Sink
    notifier: MailNotifier

    def send(self, raw: bytes | str, rcpts: list[str] | None = None,
             mail_from: str = "customer@example.com") -> None:
        data = raw.encode() if isinstance(raw, str) else raw
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.sendmail(mail_from, rcpts or [f"general@{DOMAIN}"], data)

    def wait_processed(self, count: int, timeout: float = 30) -> list[Any]:
        """Wait until ``count`` inbox rows are no longer ``received``; return all rows."""
        deadline = time.time() + timeout
        while True:
            with self.hub.engine.connect() as conn:
                rows = conn.execute(sa.select(mail_inbox).order_by(mail_inbox.c.id)).all()
            if len([r for r in rows if r.state != "received"]) >= count:
                return rows
            if time.time() > deadline:
                raise AssertionError(f"only {len(rows)} rows, states {[r.state for r in rows]}")
            time.sleep(0.05)

    def tickets(self) -> list[Any]:
        with self.hub.engine.connect() as conn:
            return conn.execute(sa.select(tickets).order_by(tickets.c.id)).all()

    def flush(self, expect: int | None = None, timeout: float = 20) -> list[Any]:
        """Run the notifier to the head, let the sender deliver, return the sink's messages."""
        while run_once(self.hub, self.notifier):
            pass
        OutboxSender(self.hub).send_due()
        deadline = time.time() + timeout
        while expect is not None and len(self.sink.received) < expect:
            if time.time() > deadline:
                raise AssertionError(f"sink got {len(self.sink.received)} of {expect}")
            time.sleep(0.05)
        return self.sink.messages()


def make_mail(subject: str, body: str = "Hello", *, sender: str = "customer@example.com",
              to: str = f"general@{DOMAIN}", headers: dict[str, str] | None = None,
              msgid: str | None = None) -> bytes:
    msg = EmailMessage()
    trace = {"authentication-results", "received"}
    for name, value in (headers or {}).items():  # a relay prepends these: keep them on top
        if name.lower() in trace:
            msg[name] = value
    headers = {k: v for k, v in (headers or {}).items() if k.lower() not in trace}
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = msgid or f"<{abs(hash((subject, body, time.time())))}@example.com>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


RELAY = "mx.example.com"


def trust_relay(hub: Hub, *relays: str) -> None:
    """Configure the hub's trusted relays (HUB_MAIL_TRUSTED_RELAYS): auth becomes required."""
    from dataclasses import replace

    hub.settings = replace(hub.settings, mail_trusted_relays=relays or (RELAY,))


def passing_auth(domain: str = "example.com", relay: str = RELAY) -> dict[str, str]:
    """The header a trusted relay adds when the From domain's DKIM signature verified."""
    return {"Authentication-Results":
            f"{relay}; dkim=pass header.d={domain} header.s=sel; spf=none"}


def opt_in_cc(hub: Hub, queue: str = "General") -> None:
    """The queue says outsiders' Cc become watchers (``add_cc_watchers: true``)."""
    from hub.tickets import commands as tc

    hub.bus.handle(tc.ChangeQueue(name=queue, changes={"add_cc_watchers": True}),
                   system_actor("cli"))
    from hub.mail.messages import address_book

    address_book(hub).refresh(force=True)


def own_reply_address(ticket_id: int, recipient: str, queue: str = "general",
                      comment: bool = False, secret: str = "test-secret") -> str:
    """The reply address the hub hands ``recipient`` for a ticket (as in their Reply-To)."""
    from hub.mail.threading import reply_address

    return reply_address(queue, ticket_id, DOMAIN, secret, comment=comment, recipient=recipient)
