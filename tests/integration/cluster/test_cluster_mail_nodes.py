"""Two real ``hub serve`` nodes on one PostgreSQL and no shared filesystem: mail taken in
by either node's SMTP port becomes exactly one ticket, and bytes stored through one node
(raw mail, a mail's attachment, a wiki upload) are read through the other.

This is the issue's reproduction: before blobs moved into the database, a message whose
raw bytes sat in the receiving node's data dir failed when the other node's inbox
worker claimed it (7 of 40 never became tickets).
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from hub_support import Server, free_port, fresh_postgres_db, make_hub, make_token

from hub.mail.tables import mail_inbox
from hub.tickets.tables import tickets

DOMAIN = "hub.test"
MAILS = 40
ATTACHED = b"%PDF-1.4 the runbook for the VPN, attached by mail\n" * 20


@dataclass
class Sink:
    """The smarthost both nodes relay to: it keeps every envelope it accepts."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def recipients(self) -> list[str]:
        with self.lock:
            return [r for rcpts, _ in self.received for r in rcpts]


@dataclass
class Cluster:
    nodes: list[Server]
    engine: sa.Engine
    sink: Sink
    token: str

    def api(self, node: int, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, self.nodes[node].url + path, timeout=20,
                                headers={"Authorization": f"Bearer {self.token}",
                                         **kw.pop("headers", {})}, **kw)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    url = fresh_postgres_db()
    hub = make_hub(tmp_path / "setup", url)  # migrates the database, adds the admin
    token = make_token(hub, "admin")
    sink, sink_port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    nodes = []
    try:
        for name in ("node-a", "node-b"):
            data_dir = tmp_path / name
            data_dir.mkdir()
            env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_DATABASE_URL": url,
                   "HUB_NODE_NAME": name, "HUB_SECRET_KEY": "test-secret",
                   "HUB_MAIL_DOMAIN": DOMAIN, "HUB_SMARTHOST": f"127.0.0.1:{sink_port}"}
            env.pop("HUB_CONFIG", None)
            node = Server(data_dir, env)
            nodes.append(node)
            node.start("--no-scheduler")
        yield Cluster(nodes, hub.engine, sink, token)
    finally:
        for node in nodes:
            node.stop()
        controller.stop()
        hub.engine.dispose()


def _mail(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"customer{i}@example.com"
    msg["To"] = f"general@{DOMAIN}"
    msg["Subject"] = f"Cluster mail number {i}"
    msg["Message-ID"] = f"<cluster.{i}.{time.time()}@example.com>"
    msg.set_content(f"Mail {i} of {MAILS}, delivered to node {'ab'[i % 2]}.")
    if i == 0:
        msg.add_attachment(ATTACHED, maintype="application", subtype="pdf",
                           filename="vpn-runbook.pdf")
    return msg.as_bytes()


def _deliver(node: Server, i: int) -> None:
    with smtplib.SMTP("127.0.0.1", node.smtp_port, timeout=30) as client:
        client.sendmail(f"customer{i}@example.com", [f"general@{DOMAIN}"], _mail(i))


def _wait(what: str, check: Any, timeout: float = 90) -> Any:
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _inbox(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(mail_inbox).order_by(mail_inbox.c.id)).all())


def _login(node: Server) -> requests.Session:
    session = requests.Session()
    page = session.get(node.url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = session.post(node.url + "/login", timeout=10, data={
        "username": "admin", "password": "admin-password", "csrf_token": token.group(1)})
    assert response.status_code in (200, 302, 303), response.status_code
    return session


def test_forty_mails_to_two_nodes_make_forty_tickets(cluster: Cluster) -> None:
    for i in range(MAILS):
        _deliver(cluster.nodes[i % 2], i)
    rows = _wait("every message processed",
                 lambda: (r := _inbox(cluster.engine)) and all(x.state != "received"
                                                               for x in r) and r)
    assert len(rows) == MAILS
    assert [(r.id, r.state, r.error) for r in rows if r.state != "processed"] == []
    assert {r.result["action"] for r in rows} == {"created"}
    holders = {r.result["ticket_id"] for r in rows}
    with cluster.engine.connect() as conn:
        subjects = sorted(conn.execute(sa.select(tickets.c.subject)).scalars())
    assert len(holders) == MAILS
    assert subjects == sorted(f"Cluster mail number {i}" for i in range(MAILS))
    # One notifier leads for the cluster: exactly one autoreply per sender.
    expected = sorted(f"customer{i}@example.com" for i in range(MAILS))
    _wait("an autoreply to every sender",
          lambda: len(cluster.sink.recipients()) >= MAILS, timeout=60)
    time.sleep(3)  # a doubled autoreply would arrive within the sender's poll
    assert sorted(cluster.sink.recipients()) == expected


def test_mail_attachment_taken_in_by_node_a_downloads_from_node_b(cluster: Cluster) -> None:
    _deliver(cluster.nodes[0], 0)
    (row,) = _wait("the message processed",
                   lambda: [r for r in _inbox(cluster.engine) if r.state != "received"])
    assert row.state == "processed", row.error
    ticket_id = row.result["ticket_id"]
    digest = hashlib.sha256(ATTACHED).hexdigest()
    response = _login(cluster.nodes[1]).get(
        f"{cluster.nodes[1].url}/tickets/{ticket_id}/attachments/{digest}", timeout=20)
    assert response.status_code == 200, response.text[:500]
    assert response.content == ATTACHED
    assert not any((cluster.nodes[1].data_dir / "blobs").glob("*/*"))  # nothing local


def test_wiki_upload_through_node_a_downloads_from_node_b(cluster: Cluster) -> None:
    created = cluster.api(0, "PUT", "/api/v1/wiki/Ops/VpnNotes",
                          json={"text": "VPN notes", "base_revision": 0})
    assert created.status_code in (200, 201), created.text
    data = bytes(range(256)) * 64
    up = cluster.api(0, "PUT", "/api/v1/wiki/Ops/VpnNotes/attachments/capture.bin",
                     data=data, headers={"Content-Type": "application/octet-stream"})
    assert up.status_code == 201, up.text
    down = cluster.api(1, "GET", "/api/v1/wiki/Ops/VpnNotes/attachments/capture.bin")
    assert down.status_code == 200, down.text[:500]
    assert down.content == data
