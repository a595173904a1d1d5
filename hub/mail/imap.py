"""IMAP poller: fetch mail from configured mailboxes into the same durable inbox.

Configured in ``settings.extra["imap"]`` (a list of accounts: host, port,
username, password_file or password_env, mailbox, processed_mailbox, ssl, and
optionally the ``address`` the mailbox receives for). A message is moved to the
processed mailbox only after it is stored, so a crash re-fetches it at worst;
the inbox pipeline's idempotency keys make that harmless. Connection errors
(server restarts) end in a reconnect with exponential backoff (``hub.background``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from hub.background import BackgroundLoop, Backoff
from hub.bootstrap import Hub
from hub.mail import inbox
from hub.mail.messages import address_book

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    username: str
    password_file: str | None = None
    password_env: str | None = None
    password: str | None = None
    mailbox: str = "INBOX"
    processed_mailbox: str = "Processed"
    ssl: bool = True
    address: str | None = None
    #: The address mail to this mailbox is sent to (e.g. ``support@isp.example``): ours,
    #: so it never becomes a watcher (our mail to it would come back into the mailbox).
    mailbox_address: str | None = None
    idle_timeout: float = 30.0
    poll_interval: float = 30.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImapAccount:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown IMAP settings: {sorted(unknown)}")
        return cls(**{**data, "port": int(data.get("port", 993 if data.get("ssl", True)
                                                           else 143))})

    def secret(self) -> str:
        """The password, read when connecting so a rotated file is picked up."""
        if self.password_file:
            return Path(self.password_file).read_text().strip()
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ValueError(f"environment variable {self.password_env} is not set")
            return value
        if self.password is not None:
            return self.password
        raise ValueError("an IMAP account needs password_file or password_env")


class ImapPoller:
    """One mailbox: connect, store what is there, IDLE (or sleep), repeat.

    A failure drops the connection; the background loop waits longer after each
    failure in a row (up to 30 s) before the next step reconnects.
    """

    def __init__(self, hub: Hub, account: ImapAccount) -> None:
        self.hub = hub
        self.account = account
        self.loop = BackgroundLoop(f"hub-imap-{account.username}@{account.host}", self._step,
                                   interval=1.0, max_backoff=30.0)
        self.client: IMAPClient | None = None
        self.stored = 0
        self.logins = 0
        self._failed = False  # the last connection ended in an error

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()
        self._disconnect()

    def _step(self) -> bool:
        """Poll once and wait for news; True so the loop goes on at once (IDLE paced it)."""
        try:
            if self.client is None:
                self.client = self._connect()
            if self.poll(self.client) == 0:
                self._wait(self.client)
        except Exception as exc:
            log.warning("IMAP %s@%s: %s; reconnecting", self.account.username,
                        self.account.host, exc)
            self._failed = True
            self._disconnect()
            raise Backoff from exc
        return True

    def _disconnect(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            _close(client)

    def _connect(self) -> IMAPClient:
        acc = self.account
        client = IMAPClient(acc.host, port=acc.port, ssl=acc.ssl, timeout=30)
        try:
            client.login(acc.username, acc.secret())
            if not client.folder_exists(acc.processed_mailbox):
                client.create_folder(acc.processed_mailbox)
            client.select_folder(acc.mailbox)
        except Exception:
            _close(client)
            raise
        self.logins += 1
        if self.logins == 1 or self._failed:  # once, and again only after a failure
            log.info("IMAP %s@%s: logged in, polling %s%s", acc.username, acc.host,
                     acc.mailbox, " again" if self.logins > 1 else "")
        self._failed = False
        return client

    def poll(self, client: IMAPClient) -> int:
        """Store every message in the mailbox, then move them; returns how many."""
        uids = client.search(["NOT", "DELETED"])
        done = 0
        for start in range(0, len(uids), 50):
            chunk = uids[start:start + 50]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            stored = []
            for uid in chunk:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                if raw is None:
                    continue
                inbox.store_incoming(self.hub, bytes(raw), _return_path(raw),
                                     self._recipients(raw), "imap")
                stored.append(uid)
            if stored:
                self._move(client, stored)
                done += len(stored)
        if done:
            self.stored += done
            wakeup = self.hub.services.get("mail.inbox_wakeup")
            if wakeup is not None:
                wakeup.set()
        return done

    def _move(self, client: IMAPClient, uids: list[int]) -> None:
        client.add_flags(uids, [b"\\Seen"])
        if client.has_capability("MOVE"):
            client.move(uids, self.account.processed_mailbox)
        else:
            client.copy(uids, self.account.processed_mailbox)
            client.delete_messages(uids)
            client.expunge()

    def _wait(self, client: IMAPClient) -> None:
        """IDLE (in short slices, so stop() is prompt) or sleep until the next poll."""
        if not client.has_capability("IDLE"):
            self.loop.wait(self.account.poll_interval)
            return
        client.idle()
        try:
            waited = 0.0
            while waited < self.account.idle_timeout and not self.loop.stopping:
                if client.idle_check(timeout=1):
                    break
                waited += 1.0
        finally:
            client.idle_done()

    def _recipients(self, raw: bytes) -> list[str]:
        if self.account.address:
            return [self.account.address]
        book = address_book(self.hub)
        headers = BytesHeaderParser().parsebytes(raw)
        found = [a.lower() for _, a in getaddresses(
            [str(v) for n in ("Delivered-To", "X-Original-To", "To", "Cc")
             for v in headers.get_all(n, [])]) if a]
        ours = [a for a in dict.fromkeys(found) if book.resolve(a) is not None]
        return ours or [book.queue_address("General")]


def _return_path(raw: bytes) -> str | None:
    value = BytesHeaderParser().parsebytes(raw).get("Return-Path")
    if value is None:
        return None
    return getaddresses([str(value)])[0][1].lower() if str(value).strip() != "<>" else ""


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            log.debug("IMAP connection already gone")


def start_pollers(hub: Hub) -> Callable[[], None]:
    """Start one poller per configured account; returns a function stopping them all."""
    accounts = hub.settings.extra.get("imap") or []
    accounts = [accounts] if isinstance(accounts, dict) else accounts  # a single [imap] table
    pollers = []
    for raw in accounts if isinstance(accounts, list) else []:
        try:
            pollers.append(ImapPoller(hub, ImapAccount.from_dict(dict(raw))))
        except (TypeError, ValueError) as exc:
            log.error("ignoring IMAP account %s: %s", raw.get("username", "?"), exc)
    for poller in pollers:
        poller.start()
    hub.services["mail.imap_pollers"] = pollers

    def stop() -> None:
        for poller in pollers:
            poller.stop()

    return stop
