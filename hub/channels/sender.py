"""The delivery sender: takes due rows of the queue, delivers them, records outcomes.

Every node may run one; a sender leases the rows it takes (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, a lease that names its holder and expires), as the mail outbox does, so
each delivery is attempted by one sender at a time and a dead node's rows go out from
another. Outcomes go through the bus (``RecordDeliveryAttempt`` with an idempotency key
naming the attempt), so a delivery is recorded as delivered only after the receiver
accepted it, and once.

Per-channel rate limits hold per recipient: a row due while its recipient already got
the channel's allowance in the last minute waits (never dropped) until the allowance
frees up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from hub.actors import system_actor
from hub.background import BackgroundLoop
from hub.bootstrap import Hub
from hub.channels import commands as c
from hub.channels.model import backoff, iso
from hub.channels.tables import channel_deliveries
from hub.channels.transport import Delivery, DeliveryError, Pending, Transport
from hub.db import WRITE
from hub.eventstore import utcnow

log = logging.getLogger(__name__)
_T = channel_deliveries
LEASE = dt.timedelta(minutes=2)
WINDOW = dt.timedelta(minutes=1)
#: Deliveries per recipient per minute on each channel (``[channels] rate_per_minute``).
RATE_PER_MINUTE = {"sms": 6, "xmpp": 30, "webhook": 60, "mail": 10}
ACTOR = system_actor("system", name="channels")


class ChannelSender:
    def __init__(self, hub: Hub, transports: dict[str, Transport], *,
                 now: Callable[[], dt.datetime] = utcnow, interval: float = 1.0) -> None:
        self.hub = hub
        self.transports = transports
        self.now = now
        config: dict[str, Any] = hub.settings.extra.get("channels", {})
        self.rates = {**RATE_PER_MINUTE, **config.get("rate_per_minute", {})}
        wakeup: threading.Event = hub.services.setdefault("channels.wakeup", threading.Event())
        self.loop = BackgroundLoop("hub-channels", lambda: self.send_due() > 0,
                                   interval=interval, wakeup=wakeup)

    @property
    def holder(self) -> str:
        return f"{self.hub.settings.node_name}@{socket.gethostname()}:{os.getpid()}"[-300:]

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()

    def send_due(self, limit: int = 20) -> int:
        """Attempt what is due now; returns how many rows were attempted."""
        rows = self._claim(limit)
        for row in rows:
            self._attempt(row)
        return len(rows)

    def _attempt(self, row: Any) -> None:
        delivery = Delivery.from_row(row)
        waits = self._rate_wait(row)
        if waits is not None:
            self._defer(row.id, waits, f"rate limit: {self.rates.get(row.via)} per minute")
            return
        transport = self.transports.get(row.via)
        attempt = delivery.attempts + 1
        try:
            if transport is None:
                raise DeliveryError(f"no {row.via} transport is configured")
            note = transport.send(delivery)
        except Pending as wait:
            self._defer(row.id, self.now() + wait.check_again, str(wait))
            return
        except DeliveryError as exc:
            self._record(row, attempt, ok=False, error=str(exc), final=exc.permanent)
            return
        except Exception as exc:  # a transport bug must not stop the queue
            log.exception("channel delivery %s failed unexpectedly", row.id)
            self._record(row, attempt, ok=False, error=f"{type(exc).__name__}: {exc}",
                         final=False)
            return
        log.info("notification %s delivered by %s to %s (%s)", row.id, row.via,
                 row.username or "an address", note)
        self._record(row, attempt, ok=True)

    def _record(self, row: Any, attempt: int, *, ok: bool, error: str = "",
                final: bool = False) -> None:
        if not ok:
            log.warning("notification %s by %s not delivered (attempt %d): %s", row.id,
                        row.via, attempt, error)
        self.hub.bus.handle(
            c.RecordDeliveryAttempt(id=row.id, attempt=attempt, ok=ok, error=error,
                                    final=final,
                                    retry_at=None if ok else iso(self.now() + backoff(attempt))),
            ACTOR, idempotency_key=f"channel-attempt:{row.id}:{attempt}")

    def _rate_wait(self, row: Any) -> dt.datetime | None:
        """When the recipient's allowance on this channel frees up, or None if it has room."""
        limit = int(self.rates.get(row.via, 0))
        if limit <= 0:
            return None
        since = utcnow() - WINDOW
        with self.hub.engine.connect() as conn:
            recent = conn.execute(
                sa.select(_T.c.delivered_at).where(
                    _T.c.via == row.via, _T.c.address == row.address,
                    _T.c.delivered_at > since)
                .order_by(_T.c.delivered_at.desc()).limit(limit)).scalars().all()
        if len(recent) < limit:
            return None
        oldest: dt.datetime = min(recent)
        return oldest + WINDOW + dt.timedelta(seconds=1)

    def _defer(self, row_id: str, until: dt.datetime, why: str) -> None:
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.update(_T).where(
                _T.c.id == row_id, sa.or_(_T.c.locked_by.is_(None), _T.c.locked_by == self.holder))
                .values(next_attempt_at=until, last_error=why[:2000], locked_until=None,
                        locked_by=None))

    def _claim(self, limit: int) -> list[Any]:
        now = self.now()
        free = sa.or_(_T.c.locked_until.is_(None), _T.c.locked_until < utcnow())
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            rows = conn.execute(
                sa.select(_T).where(_T.c.state.in_(("queued", "held_quiet")),
                                    _T.c.next_attempt_at <= now, free)
                .order_by(_T.c.urgent.desc(), _T.c.next_attempt_at, _T.c.id).limit(limit)
                .with_for_update(skip_locked=True)).all()
            if rows:
                conn.execute(sa.update(_T).where(_T.c.id.in_([r.id for r in rows]))
                             .values(locked_until=utcnow() + LEASE, locked_by=self.holder))
        return list(rows)
