"""Which database errors are an outage (503 / 451, retry) and which are bugs (500)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from hub.db_outage import database_unavailable


def wrapped(cls: type[sa_exc.DBAPIError], orig: BaseException,
            invalidated: bool = False) -> sa_exc.DBAPIError:
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)  # type: ignore[arg-type]


@pytest.mark.parametrize("error", [
    wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database is locked")),
    wrapped(sa_exc.OperationalError, psycopg.OperationalError("connection refused")),
    wrapped(sa_exc.OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
    wrapped(sa_exc.InterfaceError, psycopg.InterfaceError("the connection is closed")),
    wrapped(sa_exc.DBAPIError, psycopg.DatabaseError("lost"), invalidated=True),
    sqlite3.OperationalError("database is locked (writer queue timeout)"),
    psycopg.OperationalError("server closed the connection unexpectedly"),
    sa_exc.TimeoutError("QueuePool limit reached"),
])
def test_an_unreachable_or_busy_database_is_an_outage(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize("error", [
    wrapped(sa_exc.OperationalError, sqlite3.OperationalError("no such table: tickets")),
    wrapped(sa_exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")),
    wrapped(sa_exc.IntegrityError, psycopg.errors.UniqueViolation("duplicate key")),
    wrapped(sa_exc.ProgrammingError, psycopg.ProgrammingError("syntax error")),
    wrapped(sa_exc.DataError, psycopg.DataError("invalid input syntax")),
    sqlite3.OperationalError("no such column: x"),
    ValueError("not the database at all"),
    KeyError("id"),
])
def test_bugs_and_bad_data_are_not_an_outage(error: BaseException) -> None:
    assert not database_unavailable(error)
