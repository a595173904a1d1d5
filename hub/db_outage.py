"""Telling "the database is away for a moment" apart from a bug.

A PostgreSQL restart, a failover, a dropped connection or SQLite busy past its timeout
fail a request that would succeed a few seconds later. Entry points answer those with a
transient refusal (HTTP 503 with ``Retry-After``, SMTP ``451 4.3.0``) so that clients
retry, instead of a 500 that says the request itself is wrong; everything else stays an
internal error. The engine (``hub.db.make_engine``) pings pooled connections before use
and drops the whole pool on a disconnect, so the hub recovers by itself once the
database is back.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

#: Seconds a client is asked to wait before retrying (a PostgreSQL restart takes a few).
RETRY_AFTER_SECONDS = 3

_SQLITE_TRANSIENT = ("locked", "busy")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve right now but should soon."""
    if isinstance(error, sa_exc.TimeoutError):  # every pooled connection in use
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if not isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
            return False  # integrity, data and programming errors are not the database's
        if error.orig is None:
            return True
        error = error.orig
    if isinstance(error, sqlite3.OperationalError):
        # SQLite also says OperationalError for "no such table": only busy is transient.
        return any(word in str(error).lower() for word in _SQLITE_TRANSIENT)
    # psycopg: connection refused or lost, server shutting down or starting up, too
    # many connections, deadlock or serialization failure, statement timeout.
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
