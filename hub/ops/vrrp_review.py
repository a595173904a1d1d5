"""Look again at a suspected VRRP split brain once the settle time is over.

Why a reactor with a timer: the suspicion is recorded with the state change that
raised it, but a real split brain (a hung master says nothing more) brings no
further report that could confirm it; only the clock can. The reactor notes when
each suspicion was committed and, ``settle_seconds`` later, sends
:class:`~hub.ops.commands.ReviewVrrp`; the handler warns only if two nodes still
say MASTER. After a restart every open keepalived alert is reviewed once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa

from hub.actors import system_actor
from hub.eventstore import StoredEvent, utcnow
from hub.ops.commands import ReviewVrrp
from hub.ops.tables import alerts
from hub.ops.vrrp import SUSPECT

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
ACTOR = system_actor("alert", "keepalived")


class VrrpReviewReactor:
    name = "ops-vrrp-review"
    event_types: ClassVar[frozenset[str]] = frozenset({"AlertReceived"})

    def __init__(self, settle_seconds: float) -> None:
        self.settle = dt.timedelta(seconds=settle_seconds)
        self.due: dict[str, dt.datetime] = {}
        self.started = False

    def handles(self, event: StoredEvent) -> bool:
        return (event.type == "AlertReceived" and event.data["signal"]["source"] == "keepalived"
                and bool((event.data.get("flags") or {}).get(SUSPECT)))

    def react(self, hub: Hub, event: StoredEvent) -> None:
        key = str(event.data["signal"]["object_key"])
        self.due[key] = max(self.due.get(key, event.at), event.at + self.settle)

    def tick(self, hub: Hub, now: dt.datetime | None = None) -> int:
        now = now or utcnow()
        if not self.started:  # suspicions of before a restart
            self.started = True
            with hub.engine.connect() as conn:
                keys = conn.execute(sa.select(alerts.c.object_key).where(
                    alerts.c.source == "keepalived", alerts.c.state == "open")
                    .distinct()).scalars().all()
            for key in keys:
                self.due.setdefault(str(key), now)
        ready = [key for key, at in self.due.items() if at <= now]
        for key in ready:
            del self.due[key]
            try:
                result = hub.bus.handle(ReviewVrrp(key), ACTOR)
            except Exception:
                log.exception("reviewing VRRP instance %s failed; again later", key)
                self.due[key] = now + self.settle
                continue
            if result.get("warned"):
                log.warning("VRRP %s: split brain outlived %s", key, self.settle)
        return len(ready)
