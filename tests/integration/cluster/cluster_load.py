"""Clients that keep a cluster busy and write down every answer they get.

They behave as careful real clients do while a node dies under them: an API create
carries an ``Idempotency-Key`` and is repeated with the same key after a connection
error or a 5xx, until it is acknowledged (201); a mail is sent again, byte for byte,
after a connection error or a 4xx reply, until a node accepts it (250). What they
record is what the test holds the cluster to: every acknowledged create and mail
must be in the database exactly once, and who answered each attempt (HAProxy's
``X-Served-By``) shows which node, if any, answered with a 5xx.
"""

from __future__ import annotations

import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

import requests

GIVE_UP = 90.0  # seconds one create or mail is retried before the client gives up


@dataclass
class Answer:
    status: int | None  # None: no answer (connection refused, reset, timed out)
    served_by: str | None  # the node HAProxy names; None when HAProxy answered itself
    detail: str = ""


@dataclass
class Create:
    key: str
    subject: str
    requestor: str
    started: float = field(default_factory=time.monotonic)
    ticket_id: int | None = None
    answers: list[Answer] = field(default_factory=list)


@dataclass
class Mail:
    sender: str
    rcpt: str
    subject: str
    raw: bytes
    started: float = field(default_factory=time.monotonic)
    accepted: bool = False
    replies: list[tuple[int | None, int]] = field(default_factory=list)  # (code, port)


def creator(lb_url: str, token: str, stop: threading.Event,
            out: list[Create]) -> Callable[[], None]:
    """A client creating tickets through HAProxy until ``stop`` is set."""

    def run() -> None:
        session = requests.Session()
        while not stop.is_set():
            key = uuid.uuid4().hex
            made = Create(key, f"Chaos create {key}", f"c{key[:20]}@example.com")
            out.append(made)
            give_up = time.monotonic() + GIVE_UP
            while made.ticket_id is None and time.monotonic() < give_up:
                try:
                    response = session.post(
                        f"{lb_url}/api/v1/tickets", timeout=30,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                        json={"queue": "General", "subject": made.subject,
                              "body": "created while a node dies",
                              "requestors": [made.requestor]})
                except requests.RequestException as exc:
                    made.answers.append(Answer(None, None, type(exc).__name__))
                    session = requests.Session()
                    time.sleep(0.2)
                    continue
                served_by = response.headers.get("X-Served-By")
                if response.status_code == 201:
                    made.answers.append(Answer(201, served_by))
                    made.ticket_id = int(response.json()["id"])
                    break
                made.answers.append(Answer(response.status_code, served_by,
                                           response.text[:300]))
                if response.status_code < 500:
                    break  # a 4xx is an answer about the request: repeating will not help
                time.sleep(min(float(response.headers.get("Retry-After", 0.2)), 1.0))

    return run


def new_mail(sender: str, subject: str, domain: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, f"general@{domain}", subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
    msg.set_content(f"{subject}: the link to the second site flaps.")
    return msg.as_bytes()


def mailer(ports: list[int], domain: str, stop: threading.Event,
           out: list[Mail]) -> Callable[[], None]:
    """A sender delivering one new mail after another to ``ports`` in turn."""

    def run() -> None:
        turn = 0
        while not stop.is_set():
            tag = uuid.uuid4().hex
            sender, subject = f"m{tag[:20]}@example.com", f"Chaos mail {tag}"
            made = Mail(sender, f"general@{domain}", subject,
                        new_mail(sender, subject, domain))
            out.append(made)
            give_up = time.monotonic() + GIVE_UP
            while not made.accepted and time.monotonic() < give_up:
                port = ports[turn % len(ports)]
                turn += 1
                code = deliver(port, made)
                made.replies.append((code, port))
                made.accepted = code == 250
                if code is not None and code >= 500:
                    break
                if not made.accepted:
                    time.sleep(0.2)

    return run


def deliver(port: int, mail: Mail) -> int | None:
    """The reply code to the message (250 when accepted); None when no reply came."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail(mail.sender, [mail.rcpt], mail.raw)
    except smtplib.SMTPRecipientsRefused as exc:
        return min(code for code, _ in exc.recipients.values())
    except smtplib.SMTPResponseException as exc:
        return int(exc.smtp_code)
    except (OSError, smtplib.SMTPException):
        return None
    return 250
