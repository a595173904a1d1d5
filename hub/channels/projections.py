"""The delivery queue kept from the notification streams (in the command's transaction,
so a notification is queued exactly when the change that asked for it commits)."""

from __future__ import annotations

import sqlalchemy as sa

from hub.channels.model import parse_iso
from hub.channels.tables import channel_deliveries
from hub.eventstore import StoredEvent
from hub.projections import TableProjection

_T = channel_deliveries


class DeliveriesProjection(TableProjection):
    name = "channel_deliveries"
    tables = (channel_deliveries,)
    prefixes = ("notification-",)

    def on_NotificationQueued(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        hold = d.get("hold_until")
        conn.execute(sa.insert(_T).values(
            id=d["id"], via=d["via"], username=d.get("user"), address=d["address"],
            subject=d["subject"], text=d["text"], ticket_id=d.get("ticket_id"),
            urgent=bool(d["urgent"]), cause=d["cause"], payload=d.get("payload"),
            webhook_format=d.get("webhook_format", "generic"),
            state="held_quiet" if hold else "queued", attempts=0,
            next_attempt_at=parse_iso(hold) if hold else e.at, created_at=e.at))

    def on_NotificationDelivered(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.update(_T).where(_T.c.id == e.data["id"]).values(
            state="delivered", attempts=e.data.get("attempts", 1), delivered_at=e.at,
            last_error=None, locked_until=None, locked_by=None))

    def on_NotificationFailed(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        values = {"attempts": d.get("attempts", 0), "last_error": d["error"],
                  "locked_until": None, "locked_by": None}
        if d["final"]:
            values["state"] = "failed"
        else:
            values |= {"state": "queued",
                       "next_attempt_at": parse_iso(d["retry_at"]) if d.get("retry_at")
                       else e.at}
        done = conn.execute(sa.update(_T).where(_T.c.id == d["id"]).values(**values))
        if done.rowcount == 0:  # never queued: the user has no address for the channel
            conn.execute(sa.insert(_T).values(
                id=d["id"], via=d["via"], username=d.get("user"),
                address=d.get("address") or "", subject="", text="",
                ticket_id=d.get("ticket_id"), urgent=False, cause=d["cause"],
                webhook_format="generic", state="failed", attempts=0,
                next_attempt_at=e.at, last_error=d["error"], created_at=e.at))
