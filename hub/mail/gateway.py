"""The embedded SMTP gateway (aiosmtpd) and the mail worker threads it starts.

The SMTP side only translates: RCPT is checked against our addresses (550 5.1.1
early), DATA is stored durably (blob + inbox row) before the 250, or answered
451 when that fails. Everything else happens from the store: the inbox worker
turns stored mail into bus commands, the outbox sender delivers what the
notifier queued, and the IMAP pollers feed the same inbox.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from hub.background import BackgroundLoop
from hub.bootstrap import Hub
from hub.db_outage import database_unavailable
from hub.mail import inbox
from hub.mail.messages import address_book
from hub.mail.outbound import OutboxSender
from hub.mail.pipeline import Pipeline

log = logging.getLogger(__name__)
#: RCPTs one transaction may name (RFC 5321 asks servers to take at least 100).
MAX_RCPTS = 100


class GatewayHandler:
    """aiosmtpd hooks: only RCPT and DATA need our logic."""

    def __init__(self, hub: Hub, executor: ThreadPoolExecutor,
                 writer: inbox.InboxWriter) -> None:
        self.hub = hub
        self.writer = writer
        self.blobs = inbox.blobs(hub)
        self.book = address_book(hub)
        self.executor = executor
        self.wakeup: threading.Event = hub.services.setdefault("mail.inbox_wakeup",
                                                               threading.Event())

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= MAX_RCPTS:
            return "452 4.5.3 Too many recipients"
        loop = asyncio.get_running_loop()
        try:
            target = await loop.run_in_executor(self.executor, self.book.resolve, address)
        except Exception:
            log.exception("recipient lookup failed for %s", address)
            return "451 4.3.0 Temporary failure looking up the recipient, try again later"
        if target is None:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            digest = await loop.run_in_executor(self.executor, self.blobs.put, raw)
            item_id = await asyncio.wrap_future(
                self.writer.submit(digest, len(raw), envelope.mail_from,
                                   list(envelope.rcpt_tos)))
        except Exception:
            log.exception("could not store an inbound message")
            return "451 4.3.0 Local storage failure, please try again later"
        self.wakeup.set()
        return f"250 2.0.0 OK queued as {item_id}"


class InboxWorker:
    """Processes stored mail; woken by the gateway and the IMAP pollers, polling as a
    fallback, and now and then handing back messages claimed by workers that died."""

    LEASE_CHECK = 30.0  # seconds between looks for dead workers' leases

    def __init__(self, hub: Hub, interval: float = 1.0) -> None:
        self.hub = hub
        self.pipeline = Pipeline(hub)
        wakeup: threading.Event = hub.services.setdefault("mail.inbox_wakeup",
                                                          threading.Event())
        self.loop = BackgroundLoop("hub-mail-in", self._step, interval=interval,
                                   wakeup=wakeup, join_timeout=30)
        self._checked = 0.0
        self.unfinished: list[inbox.InboxItem] = []

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()

    def run_once(self, limit: int = 50, ids: list[int] | None = None) -> int:
        # Messages claimed but not finished when the database went away are still leased
        # to this worker: it does them again (idempotently) before claiming more.
        items = self.unfinished if self.unfinished and ids is None else inbox.claim(
            self.hub, limit, ids)
        self.unfinished = items
        outcomes = []
        try:
            for item in items:
                state, result, error, message_id = self.pipeline.process(item)
                outcomes.append((item.id, state, result, error, message_id))
            inbox.finish(self.hub, outcomes)
        except Exception as exc:
            if not database_unavailable(exc):
                self.unfinished = []  # the rows go back to the inbox when their lease ends
            raise
        self.unfinished = []
        return len(items)

    def _step(self) -> bool:
        if time.monotonic() - self._checked > self.LEASE_CHECK:
            self._checked = time.monotonic()
            try:
                inbox.release_dead_leases(self.hub)
            except Exception:
                log.exception("could not release leases of dead workers")
        return self.run_once() > 0


class LenientSMTP(SMTP):  # type: ignore[misc]
    """Accept lines longer than RFC 5321's 1000 octets: scripts and broken clients send
    them, and refusing the whole message (500) loses more than it protects."""

    line_length_limit = 64 * 1024


class GatewayController(Controller):  # type: ignore[misc]
    def factory(self) -> SMTP:
        return LenientSMTP(self.handler, **self.SMTP_kwargs)


def start_gateway(hub: Hub, host: str, port: int) -> Callable[[], None]:
    """Start SMTP on ``host:port`` plus the inbox, outbox and IMAP workers; return stop()."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every line
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="hub-smtp")
    writer = inbox.InboxWriter(hub)
    controller = GatewayController(
        GatewayHandler(hub, executor, writer), hostname=host, port=port, decode_data=False,
        data_size_limit=hub.settings.max_message_bytes, enable_SMTPUTF8=True,
        server_hostname=hub.settings.mail_domain, ident="OpsHub ESMTP")
    worker = InboxWorker(hub)
    sender = OutboxSender(hub)
    from hub.mail.imap import start_pollers

    writer.start()
    worker.start()
    sender.start()
    try:
        controller.start()
    except Exception:
        writer.stop()
        worker.stop()
        sender.stop()
        executor.shutdown(wait=False)
        raise
    stop_pollers = start_pollers(hub)

    def stop() -> None:
        stop_pollers()
        controller.stop()
        executor.shutdown(wait=True)
        writer.stop()
        worker.stop()
        sender.stop()

    return stop
