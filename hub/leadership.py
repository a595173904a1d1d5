"""Leader election across the cluster through PostgreSQL session-level advisory locks.

Every node runs the same reactors and the same scheduler; an effect (an autoreply, a
Nagios acknowledgement, a scheduled job) must still happen once. Whoever holds the
advisory lock named after a piece of work leads it. The lock belongs to a database
session, not to a transaction, so it is held for as long as the dedicated connection
below lives: a node that is killed (even ``kill -9``) closes its socket, PostgreSQL ends
the session and the lock is free for a follower's next try. Server-side TCP keepalives
on that session also free it when a node vanishes from the network.

On SQLite there is one node by construction (the database is a local file), so every
lock is simply granted and nothing changes there.
"""

from __future__ import annotations

import hashlib
import logging
import threading

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# The two-int4 form of the advisory-lock functions has its own key space (objsubid 2),
# so these never collide with the event store's one-bigint append lock.
NAMESPACE = 0x4F505348  # "OPSH"
_KEEPALIVES = ("SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 2",
               "SET tcp_keepalives_count = 3")


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for a lock name, the same on every node."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


class LockSession:
    """One dedicated database session holding any number of named leadership locks.

    ``owner`` (the node name) is the session's ``application_name``, so ``pg_locks``
    joined with ``pg_stat_activity`` tells who leads (``leaders`` below).
    ``try_acquire`` never blocks; ``held`` is what this session leads. When the session
    breaks, every lock it held is gone (PostgreSQL released them with the session), so
    ``check`` forgets them all and the caller stops leading before anyone else starts.
    """

    def __init__(self, engine: sa.Engine, owner: str = "") -> None:
        self.owner = owner
        self.clustered = engine.dialect.name == "postgresql"
        self._engine = engine
        self._lock_engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self._mutex = threading.Lock()
        self.held: set[str] = set()

    def _connection(self) -> sa.Connection:
        if self._conn is None:
            if self._lock_engine is None:
                # Its own engine without a pool: the session must not go back to a pool
                # (another user would inherit the locks) nor be recycled under us.
                self._lock_engine = sa.create_engine(
                    self._engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                    connect_args={"keepalives": 1, "keepalives_idle": 5,
                                  "keepalives_interval": 2, "keepalives_count": 3,
                                  "connect_timeout": 5,
                                  # pg_stat_activity shows which node leads what.
                                  "application_name": f"hub-leader:{self.owner}"[:63]})
            conn = self._lock_engine.connect()
            for statement in _KEEPALIVES:
                conn.execute(sa.text(statement))
            self._conn = conn
        return self._conn

    def try_acquire(self, name: str) -> bool:
        """Lead ``name`` if nobody does; True when this session leads it (now or before)."""
        if not self.clustered:
            self.held.add(name)
            return True
        with self._mutex:
            if name in self.held:
                return True
            try:
                got = bool(self._connection().execute(
                    sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
                    {"ns": NAMESPACE, "key": lock_key(name)}).scalar())
            except sa.exc.DBAPIError:
                log.warning("leadership session lost while trying %s", name, exc_info=True)
                self._drop()
                return False
            if got:
                self.held.add(name)
                log.info("now leading %s", name)
            return got

    def check(self) -> bool:
        """True while the session (and so every lock in ``held``) is alive."""
        if not self.clustered:
            return True
        with self._mutex:
            if self._conn is None:
                return not self.held
            try:
                self._conn.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.DBAPIError:
                log.warning("leadership session lost; no longer leading %s",
                            sorted(self.held), exc_info=True)
                self._drop()
                return False

    def release(self, name: str) -> None:
        with self._mutex:
            if name not in self.held:
                return
            self.held.discard(name)
            if self.clustered and self._conn is not None:
                try:
                    self._conn.execute(sa.text("SELECT pg_advisory_unlock(:ns, :key)"),
                                       {"ns": NAMESPACE, "key": lock_key(name)})
                except sa.exc.DBAPIError:
                    self._drop()

    def close(self) -> None:
        """End the session: every lock is released at once."""
        with self._mutex:
            self._drop()
            if self._lock_engine is not None:
                self._lock_engine.dispose()
                self._lock_engine = None

    def _drop(self) -> None:
        self.held.clear()
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("closing a broken leadership session", exc_info=True)
            self._conn = None


def leaders(conn: sa.Connection) -> dict[str, str]:
    """Lock key (as ``pg_locks.objid``) -> the leading node, for operators and tests.

    Advisory locks belong to one database, so hubs sharing a server never see each other's.
    """
    rows = conn.execute(sa.text(
        "SELECT l.objid, a.application_name FROM pg_locks l JOIN pg_stat_activity a "
        "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = :ns AND l.objsubid = 2 AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"ns": NAMESPACE}).all()
    return {str(r.objid): str(r.application_name).removeprefix("hub-leader:") for r in rows}


def leader_of(conn: sa.Connection, name: str) -> str | None:
    """The node leading ``name`` now (PostgreSQL), or None when nobody does."""
    return leaders(conn).get(str(lock_key(name) & 0xFFFFFFFF))
