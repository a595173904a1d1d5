"""Chaos: PostgreSQL restarts (``pg_ctl restart -m fast``) under a real load.

``hub serve --workers 2`` on a private PostgreSQL takes ticket creates over the API
(each retried with its Idempotency-Key until acknowledged) and mail over SMTP (each
re-sent until a 250) while the database restarts. No request ever gets a 500: during
the outage the API answers 503 with ``Retry-After`` and SMTP a transient 4xx; every
acknowledged create is exactly one ticket, every 250-acknowledged mail becomes exactly
one ticket with one autoreply (a resend keeps its Message-ID), and the hub serves
normally afterwards without being restarted itself.
"""

from __future__ import annotations

import collections
import os
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from hub_support import Server, free_port, make_hub, make_token
from private_postgres import PrivatePostgres

from hub.bootstrap import Hub
from hub.mail.tables import mail_inbox
from hub.tickets.tables import tickets

DOMAIN = "hub.test"
API_CLIENTS = 6
SMTP_CLIENTS = 2


class Sink:
    """The smarthost: what the hub sent, as (recipients, raw message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def message_ids_to(self) -> dict[str, set[str]]:
        with self.lock:
            out: dict[str, set[str]] = collections.defaultdict(set)
            for rcpts, raw in self.received:
                for rcpt in rcpts:
                    out[rcpt].add(str(message_from_bytes(raw)["Message-ID"]))
            return out


class Load:
    """API and SMTP clients that retry as real ones do, and what each of them saw."""

    def __init__(self, url: str, smtp_port: int, token: str) -> None:
        self.url, self.smtp_port, self.token = url, smtp_port, token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.created: dict[str, int] = {}  # subject -> ticket id of the 201
        self.mailed: dict[str, str] = {}  # subject -> sender, after the 250
        self.transient: collections.Counter[str] = collections.Counter()
        self.problems: list[str] = []

    def note(self, problem: str) -> None:
        with self.lock:
            self.problems.append(problem)

    def api_client(self, n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        i = 0
        while not self.stop.is_set():
            subject, i = f"api {n}-{i}", i + 1
            deadline = time.time() + 90
            while time.time() < deadline:
                try:
                    r = session.post(self.url + "/api/v1/tickets", timeout=60,
                                     headers={"Idempotency-Key": subject},
                                     json={"queue": "General", "subject": subject})
                except requests.RequestException as exc:
                    self.note(f"{subject}: {exc!r}")
                    time.sleep(1)
                    continue
                if r.status_code == 201:
                    with self.lock:
                        self.created[subject] = int(r.json()["id"])
                    break
                if r.status_code == 503 and r.headers.get("Retry-After", "").isdigit() \
                        and "error" in r.json():
                    with self.lock:
                        self.transient["http 503"] += 1
                    time.sleep(min(int(r.headers["Retry-After"]), 3))
                    continue
                self.note(f"{subject}: {r.status_code} {r.headers} {r.text[:300]}")
                time.sleep(1)
            else:
                self.note(f"{subject}: never acknowledged")

    def smtp_client(self, n: int) -> None:
        i = 0
        while not self.stop.wait(0.05):  # a steady stream, not a flood
            i += 1
            self.mail(f"mail {n}-{i}", f"sender-{n}-{i}@example.com")

    def mail(self, subject: str, sender: str) -> None:
        """Send one new mail until it is accepted (250), as an MTA would."""
        raw = (f"From: {sender}\r\nTo: general@{DOMAIN}\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject.replace(' ', '.')}@example.com>\r\n\r\n"
               "the database restarts\r\n").encode()
        deadline = time.time() + 90
        while time.time() < deadline:
            code = self._send(sender, raw)
            if code == 250:
                with self.lock:
                    self.mailed[subject] = sender
                break
            if 400 <= code < 500:  # transient: an MTA queues it and tries again
                with self.lock:
                    self.transient[f"smtp {code}"] += 1
                time.sleep(1)
                continue
            self.note(f"{subject}: SMTP {code}")
            time.sleep(1)
        else:
            self.note(f"{subject}: never accepted")

    def _send(self, sender: str, raw: bytes) -> int:
        try:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as client:
                client.sendmail(sender, [f"general@{DOMAIN}"], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            return int(next(iter(exc.recipients.values()))[0])
        except smtplib.SMTPResponseException as exc:
            return int(exc.smtp_code)
        except (OSError, smtplib.SMTPException) as exc:
            self.note(f"SMTP connection: {exc!r}")
            return 0
        return 250

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.created), len(self.mailed)


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, Server, Hub, Sink, str]]:
    pg = PrivatePostgres()
    controller: Controller | None = None
    srv: Server | None = None
    try:
        pg.start()
        hub = make_hub(tmp_path / "setup", pg.url)
        token = make_token(hub, "admin")
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        data = tmp_path / "node"
        data.mkdir()
        env = {**os.environ, "HUB_DATA_DIR": str(data), "HUB_DATABASE_URL": pg.url,
               "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": DOMAIN,
               "HUB_SMARTHOST": f"127.0.0.1:{controller.port}"}
        srv = Server(data, env)
        srv.start("--workers", "2")
        yield pg, srv, hub, sink, token
        hub.engine.dispose()
    finally:
        if srv is not None:
            srv.stop()
        if controller is not None:
            controller.stop()
        pg.stop()


def test_a_postgresql_restart_mid_load_loses_nothing_and_does_nothing_twice(
        node: tuple[PrivatePostgres, Server, Hub, Sink, str]) -> None:
    pg, srv, hub, sink, token = node
    load = Load(srv.url, srv.smtp_port, token)
    threads = [threading.Thread(target=load.api_client, args=(n,)) for n in range(API_CLIENTS)]
    threads += [threading.Thread(target=load.smtp_client, args=(n,))
                for n in range(SMTP_CLIENTS)]
    load.mail("mail warm-up", "first-sender@example.com")  # the reactors are running:
    wait_for(sink.message_ids_to, 60, "the first autoreply")  # this mail was answered
    for t in threads:
        t.start()
    try:
        wait_for(lambda: load.counts()[0] >= 30 and load.counts()[1] >= 6, 60,
                 "creates and mail flowing before the restart")
        pg.restart()
        before = load.counts()
        wait_for(lambda: all(a >= b + 10 for a, b in zip(load.counts(), before, strict=True)),
                 90, "creates and mail acknowledged after the restart")
    finally:
        load.stop.set()
        for t in threads:
            t.join(120)
    log = (srv.data_dir / "serve.log").read_text(errors="replace")
    assert load.problems == [], (load.problems[:10], log[-3000:])
    assert sum(load.transient.values()) > 0, "no client ever saw the restart"
    assert "unhandled error" not in log, log[-3000:]

    created, mailed = dict(load.created), dict(load.mailed)
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(tickets.c.id, tickets.c.subject)).all()
    api_rows = [(r.id, r.subject) for r in rows if r.subject.startswith("api ")]
    assert collections.Counter(s for _, s in api_rows) == dict.fromkeys(created, 1)
    assert {s: i for i, s in api_rows} == created

    def mail_tickets() -> collections.Counter[str] | None:
        with hub.engine.connect() as conn:
            subjects = conn.execute(sa.select(tickets.c.subject)
                                    .where(tickets.c.subject.like("mail %"))).scalars().all()
            pending = conn.execute(sa.select(sa.func.count()).select_from(mail_inbox)
                                   .where(mail_inbox.c.state == "received")).scalar()
        found = collections.Counter(subjects)
        return found if set(found) >= set(mailed) and not pending else None

    found = wait_for(mail_tickets, 60, "every accepted mail to become a ticket")
    assert found == dict.fromkeys(mailed, 1)
    with hub.engine.connect() as conn:
        states = collections.Counter(conn.execute(sa.select(mail_inbox.c.state)).scalars())
    assert set(states) == {"processed"}, states

    def autoreplied() -> dict[str, set[str]] | None:
        ids = sink.message_ids_to()
        return ids if all(ids.get(sender) for sender in mailed.values()) else None

    replies = wait_for(autoreplied, 60, "an autoreply to every sender")
    assert {s: len(replies[s]) for s in mailed.values()} == dict.fromkeys(mailed.values(), 1)

    # Serving normally again, without a restart of the hub.
    assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
    after = requests.post(srv.url + "/api/v1/tickets", timeout=30,
                          headers={"Authorization": f"Bearer {token}"},
                          json={"queue": "General", "subject": "after the restart"})
    assert after.status_code == 201, after.text
