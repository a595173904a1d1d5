""""Being edited by" notices: ephemeral edit leases, deliberately outside the event store.

Opening the editor takes (or renews) a lease for ~15 minutes; other editors see who
holds one.  A lease changes no content and is worthless once expired, so it is a
plain table row written directly (not a projection) and is not rebuilt.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.db import WRITE
from hub.eventstore import utcnow
from hub.wiki.tables import wiki_edit_leases as leases

LEASE_MINUTES = 15


def take(engine: Engine, web: str, topic: str, username: str,
         minutes: int = LEASE_MINUTES) -> dt.datetime:
    """Take or renew ``username``'s lease on a topic; returns when it expires."""
    now = utcnow()
    expires = now + dt.timedelta(minutes=minutes)
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        conn.execute(sa.delete(leases).where(leases.c.expires_at < now))
        conn.execute(sa.delete(leases).where(leases.c.web == web, leases.c.topic == topic,
                                             leases.c.username == username))
        conn.execute(sa.insert(leases).values(web=web, topic=topic, username=username,
                                              expires_at=expires))
    return expires


def release(engine: Engine, web: str, topic: str, username: str) -> None:
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        conn.execute(sa.delete(leases).where(leases.c.web == web, leases.c.topic == topic,
                                             leases.c.username == username))


def holders(conn: sa.Connection, web: str, topic: str,
            exclude: str | None = None) -> list[dict[str, str]]:
    """Who else is editing the topic right now (unexpired leases)."""
    rows = conn.execute(sa.select(leases.c.username, leases.c.expires_at).where(
        leases.c.web == web, leases.c.topic == topic, leases.c.expires_at >= utcnow())
        .order_by(leases.c.username)).all()
    return [{"user": r.username, "until": r.expires_at.isoformat() + "Z"}
            for r in rows if r.username != exclude]
