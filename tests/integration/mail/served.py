"""A real ``hub serve`` for mail tests: SMTP over a socket, checks through the API and
the web pages (shared by the security and the fidelity tests)."""

from __future__ import annotations

import json
import os
import re
import smtplib
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from hub_support import Server, make_hub
from mail_support import DOMAIN, Sink, free_port, make_mail

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.mail.tables import mail_inbox, mail_outbox

CUSTOMER = "customer@example.com"
ALICE = "alice@example.com"
BOB = "bob@example.com"


class Served:
    """A ``hub serve`` subprocess, its sink smarthost and an admin token for its API."""

    def __init__(self, srv: Server, hub: Hub, sink: Sink, token: str) -> None:
        self.srv, self.hub, self.sink, self.token = srv, hub, sink, token

    def send(self, raw: bytes, rcpt: str, mail_from: str) -> None:
        with smtplib.SMTP("127.0.0.1", self.srv.smtp_port, timeout=30) as client:
            client.sendmail(mail_from, [rcpt], raw)

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, self.srv.url + path, timeout=10,
                                headers={"Authorization": f"Bearer {self.token}"}, **kw)

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        response = self.api("GET", f"/api/v1/tickets/{ticket_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/api/v1/tickets/{ticket_id}/history").json())

    def inbox(self, count: int, timeout: float = 30) -> list[Any]:
        deadline = time.time() + timeout
        while True:
            with self.hub.engine.connect() as conn:
                rows = conn.execute(sa.select(mail_inbox).order_by(mail_inbox.c.id)).all()
            if len([r for r in rows if r.state != "received"]) >= count:
                return rows
            assert time.time() < deadline, [r.state for r in rows]
            time.sleep(0.1)

    def outbox(self) -> list[Any]:
        with self.hub.engine.connect() as conn:
            return conn.execute(sa.select(mail_outbox).order_by(mail_outbox.c.id)).all()

    def mail_to(self, rcpt: str, count: int = 1, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.time() + timeout
        while True:
            found = [m for _, r, m in self.sink.messages() if r == [rcpt]]
            if len(found) >= count:
                return found
            assert time.time() < deadline, f"{rcpt} got {len(found)} of {count} messages"
            time.sleep(0.1)

    def opt_in_cc(self) -> None:
        """The queue lets outsiders' Cc become watchers (``add_cc_watchers: true``)."""
        response = self.api("PATCH", "/api/v1/queues/General", json={"add_cc_watchers": True})
        assert response.status_code == 200, response.text
        time.sleep(2.5)  # the gateway's address book reloads queues every 2 s

    def settle(self, seconds: float = 2.0) -> None:
        """Give the notifier and the outbox sender time to do what they would do."""
        time.sleep(seconds)

    def open_ticket(self, subject: str = "VPN down", cc: str | None = None) -> tuple[int, str]:
        """A customer opens a ticket by mail; returns its id and their autoreply's Reply-To."""
        before = len(self.mail_to(CUSTOMER, 0))
        headers = {"Cc": cc} if cc else None
        self.send(make_mail(subject, "it does not connect", sender=CUSTOMER,
                            msgid=f"<{subject.replace(' ', '.')}.{time.time()}@example.com>",
                            headers=headers), f"general@{DOMAIN}", CUSTOMER)
        autoreply = self.mail_to(CUSTOMER, before + 1)[-1]
        tickets = self.api("GET", "/api/v1/tickets", params={"q": subject}).json()["tickets"]
        return int(max(t["id"] for t in tickets)), str(autoreply["Reply-To"])

    def own_address(self, ticket_id: int, user: str, email: str) -> str:
        """``user``'s own reply address, taken from a real notification sent to them:
        as AdminCc they get the comment notification, whose Reply-To is signed for them."""
        response = self.api("POST", f"/api/v1/tickets/{ticket_id}/watchers",
                            json={"role": "admincc", "address": email})
        assert response.status_code == 200, response.text
        self.api("POST", f"/api/v1/tickets/{ticket_id}/comment", json={"body": f"{user}?"})
        note = self.mail_to(email)[-1]
        return str(note["Reply-To"])

    def web_page(self, path: str, user: str = "admin",
                 password: str = "admin-password") -> requests.Response:
        """``path`` as a signed-in user sees it on the desk (a real login, with CSRF)."""
        session = requests.Session()
        page = session.get(self.srv.url + "/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        response = session.post(self.srv.url + "/login", timeout=10, data={
            "username": user, "password": password, "csrf_token": token.group(1)})
        assert response.status_code in (200, 302, 303), response.status_code
        return session.get(self.srv.url + path, timeout=20)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[tuple[Server, Hub, Controller]] = []

    def start(relays: str = "", mail_conf: dict[str, Any] | None = None,
              env_extra: dict[str, str] | None = None) -> Served:
        sink = Sink()
        sink_port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
        controller.start()
        hub = make_hub(tmp_path)
        token = str(hub.bus.handle(ac.CreateToken(user="admin", name="t"),
                                   system_actor("cli"))["token"])
        env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "var"),
               "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": DOMAIN,
               "HUB_DATABASE_URL": "", "HUB_SMARTHOST": f"127.0.0.1:{sink_port}",
               "HUB_MAIL_TRUSTED_RELAYS": relays, **(env_extra or {})}
        if mail_conf:
            config = tmp_path / "hub.toml"
            config.write_text("[mail]\n" + "".join(f"{k} = {json.dumps(v)}\n"
                                                    for k, v in mail_conf.items()))
            env["HUB_CONFIG"] = str(config)
        srv = Server(tmp_path / "var", env)
        srv.start("--no-scheduler")
        started.append((srv, hub, controller))
        served = Served(srv, hub, sink, token)
        for name, email in (("alice", ALICE), ("bob", BOB)):
            response = served.api("POST", "/api/v1/users", json={
                "name": name, "email": email, "role": "staff", "password": "password123",
                "display_name": f"{name.title()} Liddell"})
            assert response.status_code == 201, response.text
        return served

    yield start
    for srv, hub, controller in started:
        srv.stop()
        controller.stop()
        hub.engine.dispose()
