"""The IMAP poller against a real Dovecot: fetch, store, process, move; survive a restart."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from imapclient import IMAPClient
from mail_support import DOMAIN, free_port, make_mail

from hub.bootstrap import Hub
from hub.mail.gateway import InboxWorker
from hub.mail.imap import start_pollers
from hub.tickets.tables import tickets

DOVECOT = "/usr/sbin/dovecot"
CONF = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = hubtest{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 100
mail_location = maildir:{root}/mail/%u
log_path = {root}/dovecot.log
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
"""


class Dovecot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.conf = root / "dovecot.conf"
        root.chmod(0o755)
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            (root / sub).chmod(0o777)  # mail processes run as the dovecot user
        self.conf.write_text(CONF.format(root=root, port=self.port))
        (root / "passwd").write_text("hubmail:{PLAIN}imap-secret\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, (self.root / "dovecot.log").read_text()[-2000:]
                time.sleep(0.1)
        raise AssertionError("dovecot did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login("hubmail", "imap-secret")
        return client

    def append(self, raw: bytes) -> None:
        client = self.client()
        try:
            client.append("INBOX", raw)
        finally:
            client.logout()

    def count(self, folder: str) -> int:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return 0
            return int(client.select_folder(folder, readonly=True)[b"EXISTS"])
        finally:
            client.logout()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists() or shutil.which("doveconf") is None:
        pytest.fail("dovecot-imapd is not installed (make test installs it)")
    # Not under pytest's tmp_path: its parents are 0700 and Dovecot drops privileges.
    root = Path(tempfile.mkdtemp(prefix="hub-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if os.environ.get("HUB_KEEP_DOVECOT") is None:
            shutil.rmtree(root, ignore_errors=True)


def _wait_tickets(hub: Hub, count: int, timeout: float = 40) -> list[str]:
    import sqlalchemy as sa

    deadline = time.time() + timeout
    while True:
        with hub.engine.connect() as conn:
            subjects = [r.subject for r in conn.execute(sa.select(tickets.c.subject)).all()]
        if len(subjects) >= count or time.time() > deadline:
            return subjects
        time.sleep(0.1)


def test_imap_poller_fetches_moves_and_survives_restart(hub: Hub, dovecot: Dovecot,
                                                        tmp_path: Path) -> None:
    secret = tmp_path / "imap.pw"
    secret.write_text("imap-secret\n")
    account = {"host": "127.0.0.1", "port": dovecot.port, "username": "hubmail",
               "password_file": str(secret), "mailbox": "INBOX",
               "processed_mailbox": "Processed", "ssl": False, "idle_timeout": 2}
    hub.settings = replace(hub.settings, extra={**hub.settings.extra, "imap": [account]})
    dovecot.append(make_mail("imap one", "first", msgid="<imap1@example.com>",
                             to=f"general@{DOMAIN}"))
    dovecot.append(make_mail("imap two", "second", msgid="<imap2@example.com>",
                             to=f"general@{DOMAIN}"))
    worker = InboxWorker(hub, interval=0.2)
    worker.start()
    stop_pollers = start_pollers(hub)
    try:
        assert sorted(_wait_tickets(hub, 2)) == ["imap one", "imap two"]
        assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == 2
        dovecot.stop()
        time.sleep(1)
        dovecot.start()
        dovecot.append(make_mail("imap three", "after restart", msgid="<imap3@example.com>",
                                 to=f"general@{DOMAIN}"))
        assert "imap three" in _wait_tickets(hub, 3, timeout=60)
        assert dovecot.count("Processed") == 3
    finally:
        stop_pollers()
        worker.stop()


def test_imap_login_is_logged_once_and_our_mailbox_never_becomes_a_watcher(
        hub: Hub, dovecot: Dovecot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import sqlalchemy as sa
    from mail_support import opt_in_cc

    from hub.actors import system_actor
    from hub.mail.notifier import MailNotifier
    from hub.mail.tables import mail_outbox
    from hub.reactors import run_once
    from hub.tickets import commands as tc

    caplog.set_level(logging.INFO, logger="hub.mail.imap")
    secret = tmp_path / "imap.pw"
    secret.write_text("imap-secret\n")
    mailbox = "support@isp.example"  # where customers write; the provider's mailbox
    account = {"host": "127.0.0.1", "port": dovecot.port, "username": "hubmail",
               "password_file": str(secret), "ssl": False, "idle_timeout": 1,
               "mailbox_address": mailbox}
    hub.settings = replace(hub.settings, extra={**hub.settings.extra, "imap": [account]})
    hub.services.pop("mail.addresses", None)  # the address book reads the accounts
    opt_in_cc(hub)  # outsiders' Cc become watchers here: ours must still not
    notifier = next(r for r in hub.reactors if isinstance(r, MailNotifier))
    run_once(hub, notifier)
    dovecot.append(make_mail("printer jammed", "paper everywhere", msgid="<imapw1@example.com>",
                             to=mailbox, headers={"Cc": f"colleague@example.com, "
                                                  f"Support <{mailbox.upper()}>, "
                                                  f"general@{DOMAIN}"}))
    worker = InboxWorker(hub, interval=0.2)
    worker.start()
    stop_pollers = start_pollers(hub)
    try:
        assert _wait_tickets(hub, 1) == ["printer jammed"]
        time.sleep(4)  # several IDLE rounds (idle_timeout 1 s) on the same login
        dovecot.append(make_mail("printer again", "still jammed", msgid="<imapw2@example.com>",
                                 to=mailbox))
        assert len(_wait_tickets(hub, 2)) == 2
        (poller,) = hub.services["mail.imap_pollers"]
        assert poller.logins == 1
    finally:
        stop_pollers()
        worker.stop()
    logins = [r for r in caplog.records if "logged in" in r.getMessage()]
    assert len(logins) == 1, [r.getMessage() for r in logins]
    with hub.engine.connect() as conn:
        (created,) = [e for e in hub.store.read_stream(conn, "ticket-1")
                      if e.type == "TicketCreated"]
    assert created.data["cc"] == ["colleague@example.com"]
    hub.bus.handle(tc.Correspond(ticket_id=1, body="we are on it"), system_actor("web"))
    while run_once(hub, notifier):
        pass
    with hub.engine.connect() as conn:
        recipients = {r.recipient for r in conn.execute(sa.select(mail_outbox.c.recipient))}
    assert mailbox not in recipients and "colleague@example.com" in recipients
