"""What became of each page notification, on the ticket's own history.

``PageNotified`` says a notification was *queued*; whether the receiver took it is the
channels feature's news (``NotificationDelivered``, or a final ``NotificationFailed``).
This reactor puts that outcome beside the page's other activity, as ``page.delivered``
or ``page.undelivered`` (with the receiver's refusal), so the history never leaves a
refused webhook or an SMS Kannel would not take looking like someone was reached.
Attempts that will be retried are not noted (the page JSON shows them as ``queued``
with their error); only the final outcome is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from hub.channels.events import NotificationDelivered, NotificationFailed
from hub.eventstore import StoredEvent
from hub.oncall.reactors import ONCALL
from hub.tickets import commands as tc

if TYPE_CHECKING:
    from hub.bootstrap import Hub

#: The cause the page notifier gives its notifications (see PageNotifier).
PAGE_CAUSE = re.compile(r"^page:(\d+):step:(\d+):round:(\d+)$")


class PageDeliveryMirror:
    name = "oncall_page_deliveries"
    event_types: ClassVar[frozenset[str]] = frozenset({NotificationDelivered.TYPE,
                                                       NotificationFailed.TYPE})

    def handles(self, event: StoredEvent) -> bool:
        if event.type not in self.event_types or event.data.get("ticket_id") is None:
            return False
        if event.type == NotificationFailed.TYPE and not event.data.get("final"):
            return False
        return PAGE_CAUSE.match(str(event.data.get("cause", ""))) is not None

    def react(self, hub: Hub, event: StoredEvent) -> None:
        d = event.data
        found = PAGE_CAUSE.match(str(d["cause"]))
        assert found is not None  # handles() checked it
        page_id, step = int(found.group(1)), int(found.group(2))
        who = d.get("user") or "an address"
        detail = {"page_id": page_id, "step": step, "round": int(found.group(3)),
                  "user": d.get("user"), "via": d["via"], "notification": d["id"],
                  "attempts": d.get("attempts")}
        if event.type == NotificationDelivered.TYPE:
            kind = "page.delivered"
            summary = f"Page {page_id}: the {d['via']} notification reached {who} (step {step})"
        else:
            kind = "page.undelivered"
            summary = (f"Page {page_id}: the {d['via']} notification to {who} could not be "
                       f"delivered (step {step}): {d.get('error', '')}").rstrip(": ")
            detail["error"] = d.get("error")
        hub.bus.handle(tc.RecordTicketActivity(ticket_id=int(d["ticket_id"]), kind=kind,
                                               summary=summary[:500], detail=detail),
                       ONCALL, idempotency_key=f"page-delivery:{d['id']}:{event.position}")
