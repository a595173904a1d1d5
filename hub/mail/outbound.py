"""Outgoing mail: an outbox table drained to the smarthost by a sender thread.

The reactor that decides to send only inserts a row (``hub.mail.commands.enqueue``,
idempotent per event and recipient), so a slow or dead smarthost never blocks or
undoes the change that caused the mail. The sender retries with exponential backoff
and parks a message as ``failed`` after a permanent (5xx) refusal or too many attempts.

Every node runs a sender on the one outbox: a sender leases the rows it takes
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so senders pass over each other's rows; the
lease names its holder and expires, so a dead node's rows go out from another node),
and writes a row's outcome only while it still holds the lease.

Without a smarthost nothing is sent: new mail is stored ``held`` when queued
(:func:`hub.mail.commands.enqueue`), and a sender with no smarthost also holds mail
that was queued earlier and that no sender took (rows older than ``STALE_QUEUED``, e.g.
queued before an upgrade), so mail never waits unseen and never floods out later.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
import time
from email import policy
from typing import Any

import sqlalchemy as sa

from hub.background import BackgroundLoop
from hub.bootstrap import Hub
from hub.db import WRITE
from hub.db_outage import database_unavailable
from hub.eventstore import utcnow
from hub.mail.commands import NO_SMARTHOST
from hub.mail.inbox import lease_holder
from hub.mail.tables import mail_autoreplies, mail_outbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
LEASE = dt.timedelta(minutes=2)
STALE_QUEUED = dt.timedelta(minutes=2)
HOLD_CHECK_SECONDS = 60.0


def split_hostport(value: str, default_port: int = 25) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        return value, default_port
    return host or "127.0.0.1", int(port)


def autoreply_permitted(conn: sa.Connection, address: str, now: dt.datetime, limit: int,
                        window: dt.timedelta) -> bool:
    """Persistent per-address rate limit: fewer than ``limit`` autoreplies in ``window``."""
    recent = conn.execute(_AUTOREPLIES, {"address": address.lower(),
                                         "since": now - window}).scalar_one()
    if recent >= limit:
        return False
    conn.execute(_NOTE_AUTOREPLY, {"address": address.lower(), "sent_at": now})
    return True


_AUTOREPLIES = sa.select(sa.func.count()).select_from(mail_autoreplies).where(
    mail_autoreplies.c.address == sa.bindparam("address"),
    mail_autoreplies.c.sent_at > sa.bindparam("since"))
_NOTE_AUTOREPLY = sa.insert(mail_autoreplies)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


class OutboxSender:
    """Background thread that drains the outbox to ``settings.smarthost``.

    Woken (``mail.outbox_wakeup``) by whoever queues mail, polling as a fallback.
    """

    def __init__(self, hub: Hub, interval: float = 1.0) -> None:
        self.hub = hub
        wakeup: threading.Event = hub.services.setdefault("mail.outbox_wakeup",
                                                          threading.Event())
        self.loop = BackgroundLoop("hub-mail-out", lambda: self.send_due() > 0,
                                   interval=interval, wakeup=wakeup)
        # While the database is away: rows this sender leased and has not sent yet,
        # and outcomes (sent, rescheduled) it could not write. Both go first next time,
        # so an outage neither delays a row until its lease ends nor sends one twice.
        self.unfinished: list[Any] = []
        self.unwritten: list[tuple[int, dict[str, Any]]] = []
        self._hold_checked = -HOLD_CHECK_SECONDS

    @property
    def holder(self) -> str:
        return lease_holder(self.hub)  # per call: worker processes fork after __init__

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()

    def send_due(self, limit: int = 50) -> int:
        """Send what is due now; returns how many rows were handled (sent or rescheduled)."""
        smarthost = self.hub.settings.smarthost
        if not smarthost:
            self._hold_stale()
            return 0
        while self.unwritten:
            self._write(*self.unwritten[0])
            self.unwritten.pop(0)
        rows = self.unfinished or self._claim(limit)
        if not rows:
            return 0
        self.unfinished = list(rows)
        host, port = split_hostport(smarthost)
        try:
            client = smtplib.SMTP(host, port, timeout=30)
        except OSError as exc:
            self.unfinished = []
            for row in rows:
                self._reschedule(row, f"smarthost {smarthost} unreachable: {exc}")
            return 0
        try:
            while self.unfinished:  # a render that needs the database may raise (outage)
                self._send_one(client, self.unfinished[0])
                self.unfinished.pop(0)
        except Exception as exc:
            if not database_unavailable(exc):
                self.unfinished = []  # the rows go back to the outbox when their lease ends
            raise
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
        return len(rows)

    def _render(self, row: Any) -> bytes | None:
        if row.raw is not None:
            return bytes(row.raw)
        from hub.mail.messages import render

        try:
            with self.hub.engine.connect() as conn:
                message = render(self.hub, conn, kind=row.kind, recipient=row.recipient,
                                 message_id=row.message_id, envelope_from=row.envelope_from,
                                 context=row.context)
        except Exception as exc:
            if database_unavailable(exc):
                raise  # not the message's fault: it is rendered again later
            log.exception("outgoing mail %s cannot be rendered", row.id)
            self._update(row.id, state="failed", last_error=f"render: {exc}"[:2000],
                         locked_until=None)
            return None
        return message.as_bytes(policy=policy.SMTP)

    def _send_one(self, client: smtplib.SMTP, row: Any) -> None:
        raw = self._render(row)
        if raw is None:
            return
        try:
            client.sendmail(row.envelope_from, [row.recipient], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            self._fail_or_retry(row, f"refused: {exc.recipients}", permanent=code >= 500)
        except smtplib.SMTPResponseException as exc:
            self._fail_or_retry(row, f"{exc.smtp_code} {exc.smtp_error!r}",
                                permanent=exc.smtp_code >= 500)
        except (smtplib.SMTPException, OSError) as exc:
            self._reschedule(row, repr(exc))
        else:
            self._update(row.id, state="sent", sent_at=utcnow(), locked_until=None,
                         attempts=row.attempts + 1, raw=raw)

    def _fail_or_retry(self, row: Any, error: str, permanent: bool) -> None:
        if permanent:
            log.warning("outgoing mail %s to %s refused: %s", row.id, row.recipient, error)
            self._update(row.id, state="failed", last_error=error[:2000], locked_until=None,
                         attempts=row.attempts + 1)
        else:
            self._reschedule(row, error)

    def _reschedule(self, row: Any, error: str) -> None:
        attempts = row.attempts + 1
        state = "failed" if attempts >= MAX_ATTEMPTS else "queued"
        log.warning("outgoing mail %s not sent (attempt %d): %s", row.id, attempts, error)
        self._update(row.id, state=state, attempts=attempts, last_error=error[:2000],
                     next_attempt_at=utcnow() + _backoff(attempts), locked_until=None)

    def _update(self, row_id: int, **values: Any) -> None:
        """End this sender's lease on a row with its outcome (a no-op once another
        sender took the row over after the lease expired); kept for later while the
        database is unavailable."""
        try:
            self._write(row_id, values)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            self.unwritten.append((row_id, values))

    def _write(self, row_id: int, values: dict[str, Any]) -> None:
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.update(mail_outbox).where(
                mail_outbox.c.id == row_id,
                sa.or_(mail_outbox.c.locked_by.is_(None),
                       mail_outbox.c.locked_by == self.holder))
                .values(locked_by=None, **values))

    def _hold_stale(self) -> None:
        """Hold mail queued long ago that no sender took, at most once a minute (a read
        first: the write lock is taken only when there is something to hold)."""
        now_mono = time.monotonic()
        if now_mono - self._hold_checked < HOLD_CHECK_SECONDS:
            return
        self._hold_checked = now_mono
        now = utcnow()
        stale = sa.and_(mail_outbox.c.state == "queued", mail_outbox.c.attempts == 0,
                        mail_outbox.c.created_at < now - STALE_QUEUED,
                        sa.or_(mail_outbox.c.locked_until.is_(None),
                               mail_outbox.c.locked_until < now))
        with self.hub.engine.connect() as conn:
            if conn.execute(sa.select(mail_outbox.c.id).where(stale).limit(1)).first() is None:
                return
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            count = conn.execute(sa.update(mail_outbox).where(stale).values(
                state="held", last_error=NO_SMARTHOST, locked_by=None)).rowcount
        log.warning("%s: %d queued message(s) held; see hub mail outbox or /admin/mail",
                    NO_SMARTHOST, count)

    def _claim(self, limit: int) -> list[Any]:
        now = utcnow()
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            rows = conn.execute(
                sa.select(mail_outbox).where(
                    mail_outbox.c.state == "queued", mail_outbox.c.next_attempt_at <= now,
                    sa.or_(mail_outbox.c.locked_until.is_(None),
                           mail_outbox.c.locked_until < now))
                .order_by(mail_outbox.c.id).limit(limit).with_for_update(skip_locked=True)
            ).all()
            if rows:
                conn.execute(sa.update(mail_outbox)
                             .where(mail_outbox.c.id.in_([r.id for r in rows]))
                             .values(locked_until=now + LEASE, locked_by=self.holder))
        return list(rows)
