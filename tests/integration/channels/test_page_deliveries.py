"""A page tells the truth about its notifications: a webhook the receiver refused is
never shown as delivered, neither in ``GET /api/v1/pages`` nor on the ticket's history.

A real webhook receiver answers 500 (tried again later), then 200; another page's
receiver answers 404 (refused for good). Reactors run by hand, the sender's clock is
moved past the retry wait instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from channel_support import WebhookReceiver
from hub_support import add_user, make_hub, make_token

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.channels.feature import make_sender
from hub.eventstore import utcnow
from hub.oncall import commands as oc
from hub.reactors import run_once
from hub.tickets import commands as tc

CLI = system_actor("cli")


def drain(hub: Hub) -> None:
    reactors = [r for r in hub.reactors if r.name.startswith("oncall_")]
    for _ in range(20):
        if not sum(run_once(hub, r) for r in reactors):
            return


def paged_ticket(hub: Hub, subject: str, requestors: tuple[str, ...] = ()) -> int:
    ticket = int(hub.bus.handle(tc.CreateTicket(queue="General", subject=subject, body="x",
                                                requestors=list(requestors)), CLI)["id"])
    hub.bus.handle(oc.TriggerPage(ticket_id=ticket, policy="hook", reason="test"), CLI)
    drain(hub)
    return ticket


def test_refused_webhooks_are_never_shown_as_delivered(
        tmp_path: Path, webhook_receiver: WebhookReceiver) -> None:
    hub = make_hub(tmp_path)
    hub.settings = replace(hub.settings, webhook_secret=webhook_receiver.secret)
    add_user(hub, "alice", "staff")
    add_user(hub, "cora", "customer")
    hub.bus.handle(ac.SetContacts(name="alice", contacts={"webhook": webhook_receiver.url}),
                   CLI)
    hub.bus.handle(oc.SavePolicy(name="hook", document={"steps": [
        {"notify": "user:alice", "via": ["webhook"], "wait": "5m"}]}), CLI)
    client = create_app(hub).test_client()
    tokens = {name: make_token(hub, name) for name in ("admin", "cora")}

    def page_of(ticket: int, who: str = "admin") -> Any:
        r = client.get(f"/api/v1/pages?ticket_id={ticket}",
                       headers={"Authorization": f"Bearer {tokens[who]}"})
        assert r.status_code == 200
        return r.json["pages"]

    def activity(ticket: int) -> list[dict[str, Any]]:
        r = client.get(f"/api/v1/tickets/{ticket}/history",
                       headers={"Authorization": f"Bearer {tokens['admin']}"})
        return [h["data"] for h in r.json if h["type"] == "TicketActivityRecorded"]

    drain(hub)  # new reactors start at the head
    try:
        ticket = paged_ticket(hub, "web-01 down")
        [page] = page_of(ticket)
        assert page["notified"][0]["delivery"] == "queued"  # not sent yet
        webhook_receiver.statuses = [500]
        assert make_sender(hub).send_due() == 1
        assert len(webhook_receiver.requests) == 1  # the receiver got it, and refused it
        drain(hub)
        [page] = page_of(ticket)
        [entry] = page["notified"]
        assert (entry["user"], entry["via"], entry["at"]) == ("alice", "webhook",
                                                              page["triggered_at"])
        assert entry["delivery"] == "queued" and entry["delivered_at"] is None
        assert entry["attempts"] == 1 and entry["error"] == "webhook answered HTTP 500"
        kinds = [a["kind"] for a in activity(ticket)]
        assert "page.notified" in kinds and "page.delivered" not in kinds
        notified = next(a for a in activity(ticket) if a["kind"] == "page.notified")
        assert "queued" in notified["summary"]
        # the retry (after the 10 s backoff) is accepted: now it is delivered
        later = make_sender(hub, now=lambda: utcnow() + dt.timedelta(seconds=15))
        assert later.send_due() == 1
        drain(hub)
        [entry] = page_of(ticket)[0]["notified"]
        assert entry["delivery"] == "delivered" and entry["delivered_at"] and entry[
            "attempts"] == 2
        [delivered] = [a for a in activity(ticket) if a["kind"] == "page.delivered"]
        assert "reached alice" in delivered["summary"]
        assert all(h.signature_ok for h in webhook_receiver.requests)

        # a receiver that refuses for good (404): failed, and said so on the ticket
        other = paged_ticket(hub, "db-02 down", ("cora@example.com",))
        webhook_receiver.statuses = [404]
        assert make_sender(hub).send_due() == 1
        drain(hub)
        [entry] = page_of(other)[0]["notified"]
        assert entry["delivery"] == "failed" and entry["error"] == "webhook answered HTTP 404"
        kinds = [a["kind"] for a in activity(other)]
        assert "page.undelivered" in kinds and "page.delivered" not in kinds
        # replays change nothing: one outcome note per notification
        drain(hub)
        assert [a["kind"] for a in activity(other)].count("page.undelivered") == 1
        # the customer who owns the ticket sees it, but no page and no delivery
        r = client.get(f"/api/v1/tickets/{other}",
                       headers={"Authorization": f"Bearer {tokens['cora']}"})
        assert r.status_code == 200 and page_of(other, "cora") == []
        r = client.get(f"/api/v1/channels/deliveries?ticket_id={other}",
                       headers={"Authorization": f"Bearer {tokens['cora']}"})
        assert r.status_code in (403, 404)
    finally:
        hub.engine.dispose()
