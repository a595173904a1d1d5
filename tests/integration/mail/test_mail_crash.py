"""Crash safety: SIGKILL the gateway at random points while mail is being delivered.

Every message that got a 250 must be a ticket after the restart, and none twice,
even when the client (like a real MTA) re-sends a message whose 250 it never saw.
"""

from __future__ import annotations

import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from mail_support import DOMAIN, free_port, make_mail

from hub.bootstrap import Hub
from hub.mail.tables import mail_inbox
from hub.tickets.tables import tickets

TOTAL = 500


class Gateway:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_SECRET_KEY": "test-secret",
                    "HUB_MAIL_DOMAIN": DOMAIN, "HUB_DATABASE_URL": "", "HUB_SMARTHOST": ""}

    def start(self) -> None:
        with open(self.data_dir / "smtp.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "smtp", "--bind", f"127.0.0.1:{self.port}"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, (self.data_dir / "smtp.log").read_text()[-2000:]
                time.sleep(0.1)
        raise AssertionError("hub smtp did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _deliver(port: int, accepted: list[str], done: threading.Event) -> None:
    """Send each message until it gets a 250, reconnecting whenever the server is gone."""
    client: smtplib.SMTP | None = None
    for i in range(TOTAL):
        subject = f"crash test message {i:04d}"
        raw = make_mail(subject, f"body {i}", msgid=f"<crash-{i}@example.com>")
        while True:
            try:
                if client is None:
                    client = smtplib.SMTP("127.0.0.1", port, timeout=10)
                client.sendmail("customer@example.com", [f"general@{DOMAIN}"], raw)
                accepted.append(subject)
                break
            except (OSError, smtplib.SMTPException):
                if client is not None:
                    client.close()
                client = None
                time.sleep(0.05)
    if client is not None:
        client.quit()
    done.set()


def test_sigkill_during_delivery_loses_nothing_and_duplicates_nothing(hub: Hub) -> None:
    port = free_port()
    gateway = Gateway(hub.settings.data_dir, port)
    gateway.start()
    accepted: list[str] = []
    done = threading.Event()
    sender = threading.Thread(target=_deliver, args=(port, accepted, done), daemon=True)
    sender.start()
    kills = 0
    rng = random.Random(4)
    try:
        while not done.is_set() and kills < 4:
            if done.wait(rng.uniform(0.5, 2.5)):
                break
            gateway.kill()
            kills += 1
            gateway.start()
        sender.join(300)
        assert done.is_set(), f"sender stuck after {len(accepted)} messages"
        deadline = time.time() + 120
        while time.time() < deadline:
            with hub.engine.connect() as conn:
                pending = conn.execute(sa.select(sa.func.count()).select_from(mail_inbox)
                                       .where(mail_inbox.c.state != "processed")).scalar_one()
            if pending == 0:
                break
            time.sleep(0.2)
    finally:
        gateway.stop()
    with hub.engine.connect() as conn:
        subjects = [r.subject for r in conn.execute(sa.select(tickets.c.subject)).all()]
        stored = conn.execute(sa.select(sa.func.count()).select_from(mail_inbox)).scalar_one()
    assert kills >= 1
    assert len(accepted) == TOTAL
    assert sorted(subjects) == sorted(set(subjects)), "a message became two tickets"
    assert set(accepted) <= set(subjects), f"lost: {sorted(set(accepted) - set(subjects))[:5]}"
    assert stored >= TOTAL
