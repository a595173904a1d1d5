"""Growing delays after repeated failed logins, kept in the database.

Counts live in ``login_failures`` so that every web worker process and every node
sees the same ones: a hub running N processes must not grant N times the attempts.
Keys are per client address, per account from one address, and per account from
anywhere: failures from one address never hold up another address's logins, and an
account attacked from many addresses is slowed (bounded), never locked for good.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.db import WRITE, login_failures


@dataclass(frozen=True)
class Limit:
    """``free`` failures pass; then each attempt waits a doubling delay, up to ``cap``."""

    free: int
    cap: float


LIMITS = {"ip": Limit(5, 900.0), "acct-ip": Limit(5, 900.0), "acct": Limit(20, 900.0)}
MAX_FAILURES = LIMITS["ip"].free
FORGET_AFTER = 3600.0

_key = login_failures.c.key
_BUMP = (sa.update(login_failures)
         .where(_key == sa.bindparam("k"), login_failures.c.last > sa.bindparam("fresh"))
         .values(failures=login_failures.c.failures + 1, last=sa.bindparam("now")))


class LoginThrottle:
    """Answers how long a login must wait (429 with Retry-After) and counts outcomes."""

    #: The delays of each kind of key (a subclass may count other attempts, e.g. codes).
    limits: ClassVar[dict[str, Limit]] = LIMITS

    @staticmethod
    def keys(username: str, client: str) -> dict[str, str]:
        return {"ip": f"ip:{client}"[:400], "acct-ip": f"acct-ip:{username}@{client}"[:400],
                "acct": f"acct:{username}"[:400]}

    def retry_after(self, engine: Engine, keys: dict[str, str]) -> float:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.time()
        with engine.connect() as conn:
            rows = {r.key: r for r in conn.execute(
                sa.select(login_failures).where(_key.in_(list(keys.values()))))}
        wait = 0.0
        for kind, key in keys.items():
            row = rows.get(key)
            limit = self.limits[kind]
            if row is None or row.failures < limit.free or now - row.last > FORGET_AFTER:
                continue
            delay = min(limit.cap, 2.0 ** (row.failures - limit.free + 1))
            wait = max(wait, row.last + delay - now)
        return max(wait, 0.0)

    def failed(self, engine: Engine, keys: dict[str, str]) -> None:
        now = time.time()
        fresh = now - FORGET_AFTER
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.delete(login_failures).where(login_failures.c.last <= fresh))
            for key in keys.values():
                if conn.execute(_BUMP, {"k": key, "fresh": fresh, "now": now}).rowcount:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(sa.insert(login_failures).values(key=key, failures=1,
                                                                      last=now))
                except sa.exc.IntegrityError:  # another process counted it first
                    conn.execute(_BUMP, {"k": key, "fresh": fresh, "now": now})

    def succeeded(self, engine: Engine, keys: dict[str, str]) -> None:
        """The account's counters restart; the address earns back only half of its
        failures, so logging in to one's own account between guesses at others
        still runs into the address's delays."""
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.delete(login_failures).where(
                _key.in_([keys["acct-ip"], keys["acct"]])))
            conn.execute(sa.update(login_failures).where(_key == keys["ip"]).values(
                failures=login_failures.c.failures // 2))

    def forget(self, engine: Engine) -> None:
        """Every count gone (tests and ``hub user passwd`` after an attack)."""
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.delete(login_failures))
