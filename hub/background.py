"""One way to run work in a background thread: step, wait, back off, stop cleanly.

The reactors, the inbox worker, the outbox sender and the IMAP poller all need the
same loop: call a step; when it did nothing, wait (or until woken); when it
failed, log it and wait longer, up to a ceiling; stop promptly when asked.
Keeping that loop in one class means a fix to shutdown or backoff reaches them all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Backoff(Exception):
    """Raised by a step that failed and already said why: wait longer, log nothing."""


class BackgroundLoop:
    """Runs ``step()`` until stopped; ``step`` returns True when it did some work.

    After a step that did nothing the loop waits ``interval`` seconds or until
    :meth:`wake` is called; after a failing step it waits twice as long as the
    time before, up to ``max_backoff``.
    """

    def __init__(self, name: str, step: Callable[[], bool], *, interval: float = 1.0,
                 max_backoff: float = 30.0, wakeup: threading.Event | None = None,
                 join_timeout: float = 15.0) -> None:
        self.name = name
        self.step = step
        self.interval = interval
        self.max_backoff = max_backoff
        self.wakeup = wakeup or threading.Event()
        self.join_timeout = join_timeout
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self) -> None:
        self.stop_event.set()
        self.wakeup.set()
        if self.thread.is_alive():
            self.thread.join(self.join_timeout)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` unless stopped; True when stop was asked for."""
        return self.stop_event.wait(seconds)

    def _loop(self) -> None:
        backoff = self.interval
        while not self.stop_event.is_set():
            try:
                busy = self.step()
                failed = False
            except Backoff:
                busy, failed = False, True
            except Exception:
                log.exception("%s failed; retrying", self.name)
                busy, failed = False, True
            if busy:
                backoff = self.interval
                continue
            backoff = min(backoff * 2, self.max_backoff) if failed else self.interval
            self.wakeup.wait(backoff)
            self.wakeup.clear()
