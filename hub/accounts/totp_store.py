"""Where second factors are kept: sealed secrets, the last used step, recovery hashes.

Every function takes the caller's connection, so a handler's checks and writes run
in its unit of work's one transaction (on SQLite the single writer, on PostgreSQL
row locks): two sign-ins racing with the same code cannot both claim its step, and
two racing with the same recovery code cannot both use it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.accounts.tables import totp_factors, totp_recovery_codes

PENDING, ACTIVE = "pending", "active"


@dataclass(frozen=True)
class SecondFactorInfo:
    """What may be said about a user's second factor (never the secret)."""

    name: str
    enrolled: bool
    since: dt.datetime | None
    pending_since: dt.datetime | None
    recovery_codes_left: int

    @property
    def state(self) -> str:
        """``on``, ``pending`` (enrolment waiting for its first code) or ``off``."""
        return "on" if self.enrolled else ("pending" if self.pending_since else "off")


def factor(conn: sa.Connection, name: str, state: str) -> Any:
    return conn.execute(sa.select(totp_factors).where(
        totp_factors.c.username == name, totp_factors.c.state == state)).first()


def start(conn: sa.Connection, name: str, box: str, code_hashes: Sequence[str],
          at: dt.datetime) -> None:
    """Store a new pending enrolment, replacing an earlier unconfirmed one."""
    _drop(conn, name, PENDING)
    conn.execute(sa.insert(totp_factors).values(
        username=name, state=PENDING, secret_box=box, created_at=at))
    _insert_codes(conn, name, PENDING, code_hashes)


def activate(conn: sa.Connection, name: str, step: int, at: dt.datetime) -> None:
    """The pending enrolment becomes the user's factor; an earlier one and its
    recovery codes are gone. The confirming code's step counts as used."""
    _drop(conn, name, ACTIVE)
    conn.execute(sa.update(totp_factors).where(
        totp_factors.c.username == name, totp_factors.c.state == PENDING)
        .values(state=ACTIVE, confirmed_at=at, last_step=step))
    conn.execute(sa.update(totp_recovery_codes).where(
        totp_recovery_codes.c.username == name, totp_recovery_codes.c.state == PENDING)
        .values(state=ACTIVE))


def remove(conn: sa.Connection, name: str) -> bool:
    """Forget every factor and code of ``name``; whether there was an active one."""
    had = factor(conn, name, ACTIVE) is not None
    _drop(conn, name, ACTIVE)
    _drop(conn, name, PENDING)
    return had


def claim_step(conn: sa.Connection, name: str, step: int) -> bool:
    """Record ``step`` as used if it is newer than every step used before (one
    conditional update, so of two racing sign-ins only one wins)."""
    result = conn.execute(sa.update(totp_factors).where(
        totp_factors.c.username == name, totp_factors.c.state == ACTIVE,
        sa.or_(totp_factors.c.last_step.is_(None), totp_factors.c.last_step < step))
        .values(last_step=step))
    return bool(result.rowcount)


def unused_codes(conn: sa.Connection, name: str) -> list[tuple[str, str]]:
    """``(id, hash)`` of the active recovery codes not used yet."""
    rows = conn.execute(sa.select(totp_recovery_codes.c.id, totp_recovery_codes.c.code_hash)
                        .where(totp_recovery_codes.c.username == name,
                               totp_recovery_codes.c.state == ACTIVE,
                               totp_recovery_codes.c.used_at.is_(None))
                        .order_by(totp_recovery_codes.c.id))
    return [(r.id, r.code_hash) for r in rows]


def use_code(conn: sa.Connection, code_id: str, at: dt.datetime) -> bool:
    result = conn.execute(sa.update(totp_recovery_codes).where(
        totp_recovery_codes.c.id == code_id, totp_recovery_codes.c.used_at.is_(None))
        .values(used_at=at))
    return bool(result.rowcount)


def info(conn: sa.Connection, name: str) -> SecondFactorInfo:
    active, pending = factor(conn, name, ACTIVE), factor(conn, name, PENDING)
    left = len(unused_codes(conn, name)) if active is not None else 0
    return SecondFactorInfo(name=name, enrolled=active is not None,
                            since=active.confirmed_at if active is not None else None,
                            pending_since=pending.created_at if pending is not None else None,
                            recovery_codes_left=left)


def states(conn: sa.Connection) -> dict[str, str]:
    """``name -> "on" | "pending"`` for every user with a factor (one query for a list)."""
    out: dict[str, str] = {}
    for row in conn.execute(sa.select(totp_factors.c.username, totp_factors.c.state)):
        if row.state == ACTIVE or row.username not in out:
            out[row.username] = "on" if row.state == ACTIVE else "pending"
    return out


def _drop(conn: sa.Connection, name: str, state: str) -> None:
    conn.execute(sa.delete(totp_factors).where(
        totp_factors.c.username == name, totp_factors.c.state == state))
    conn.execute(sa.delete(totp_recovery_codes).where(
        totp_recovery_codes.c.username == name, totp_recovery_codes.c.state == state))


def _insert_codes(conn: sa.Connection, name: str, state: str, hashes: Sequence[str]) -> None:
    if hashes:
        conn.execute(sa.insert(totp_recovery_codes), [
            {"id": f"rc-{secrets.token_hex(8)}", "username": name, "state": state,
             "code_hash": h, "used_at": None} for h in hashes])
