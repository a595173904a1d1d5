"""One SQLite writer at a time across processes, woken at once when the last one ends.

SQLite lets one write transaction in at a time; a writer that finds the database
locked waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms
between tries. With several processes writing one file (``hub serve --workers N``,
the reactors' child, the CLI) those sleeps, not the work, make the slowest requests
slow. Writers therefore queue on an ``flock`` of a file beside the database before
``BEGIN IMMEDIATE``, retrying within a millisecond of its release instead of after
growing sleeps; the kernel drops the lock by itself when its process dies. Within
a process the threads already queue on a lock of their own (``hub.db``), so each
process holds one descriptor.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path


class WriterLock:
    """An exclusive ``flock`` on ``<database>-writer.lock``, held per process."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-writer.lock")
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        # A descriptor inherited over fork would share its lock with the parent.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> None:
        """Wait at most ``timeout`` seconds (SQLite's own busy timeout) for the lock."""
        fd = self._descriptor()
        deadline = time.monotonic() + timeout
        pause = 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError(
                        "database is locked (writer queue timeout)") from None
                time.sleep(pause)  # short and capped: a write transaction takes ~1 ms
                pause = min(pause * 2, 0.001)

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
