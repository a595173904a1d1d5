"""Which of our addresses an RCPT names: a queue (correspond/comment), a signed
per-ticket reply address, or a VERP bounce address.

The gateway asks at RCPT time (to answer 550 5.1.1 early) and the pipeline asks
again when it processes the stored message, so both read the tickets' queues
(``hub.tickets.queries.list_queues``) through one small cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Engine

from hub.mail.threading import (
    BounceRef,
    parse_bounce_address,
    parse_recipient,
    queue_local_part,
)
from hub.tickets.queries import QueueInfo, list_queues

Action = Literal["correspond", "comment"]


@dataclass(frozen=True)
class Target:
    """Where one recipient address leads; ``bounce`` is set for VERP return paths."""

    address: str
    queue: str
    action: Action
    ticket_id: int | None = None
    signed: bool = False
    bounce: BounceRef | None = None
    recipient_token: str | None = None  # set when the reply address names its recipient


class AddressBook:
    """Our queues and addresses, reloaded from the read model at most every ``ttl`` seconds."""

    def __init__(self, engine: Engine, domain: str, secret: str, ttl: float = 2.0,
                 extra: Iterable[str] = ()) -> None:
        self.engine = engine
        #: Ours too, beyond the queues and the mail domain: the IMAP mailboxes' addresses.
        self.extra = frozenset(a.strip().lower() for a in extra if "@" in a)
        self.domain = domain.lower().rstrip(".")
        self.secret = secret
        self.ttl = ttl
        self._lock = threading.Lock()
        self._loaded = 0.0
        self.queues: dict[str, QueueInfo] = {}
        self._exact: dict[str, tuple[str, Action]] = {}

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._loaded < self.ttl:
                return
            with self.engine.connect() as conn:
                infos = {q.name: q for q in list_queues(conn)}
            exact: dict[str, tuple[str, Action]] = {}
            for info in infos.values():
                if info.address:
                    exact[info.address] = (info.name, "correspond")
                if info.comment_address:
                    exact[info.comment_address] = (info.name, "comment")
            self.queues, self._exact, self._loaded = infos, exact, time.monotonic()

    def resolve(self, address: str) -> Target | None:
        """The target of ``address``, or ``None`` for "550 5.1.1 no such user"."""
        self.refresh()
        addr = address.strip().strip("<>").lower()
        bounce = parse_bounce_address(addr, self.domain, self.secret)
        if bounce is not None:
            return Target(addr, "", "correspond", bounce.ticket_id, True, bounce)
        found = parse_recipient(addr, self.domain, self.secret, list(self.queues))
        if found is not None:
            return Target(addr, found.queue, found.action, found.ticket_id, found.signed,
                          recipient_token=found.recipient_token)
        if addr in self._exact:
            queue, action = self._exact[addr]
            return Target(addr, queue, action)
        return None

    def is_ours(self, address: str) -> bool:
        """Our domain or one of our queue addresses: never a requestor or a watcher."""
        self.refresh()
        addr = address.strip().strip("<>").lower()
        return (addr.rpartition("@")[2] == self.domain or addr in self._exact
                or addr in self.extra)

    def own_addresses(self) -> list[str]:
        self.refresh()
        return [*self._exact, *sorted(self.extra - set(self._exact))]

    def queue_address(self, queue: str, comment: bool = False) -> str:
        """The From address of mail about a ticket in ``queue``."""
        self.refresh()
        info = self.queues.get(queue) or next(
            (q for q in self.queues.values() if q.name.lower() == queue.lower()), None)
        if info is not None:
            chosen = info.comment_address if comment else info.address
            if chosen:
                return chosen
        suffix = "-comment" if comment else ""
        return f"{queue_local_part(queue)}{suffix}@{self.domain}"
