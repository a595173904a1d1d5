"""Time conditions with an injected clock: ticket.idle, auto-close, reminders; webhooks."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from rules_support import (
    activities,
    define,
    deliveries,
    drain,
    events_of,
    open_ticket,
    staff,
    state,
)

from hub.bootstrap import Hub
from hub.eventstore import utcnow
from hub.rules import commands as rc
from hub.rules.timed import check_idle, fire_reminders
from hub.tickets import commands as tc

AUTO_CLOSE = {
    "name": "auto-close-stalled", "on": "ticket.idle", "for": "7d",
    "if": {"status": "stalled"},
    "do": [{"action": "correspond", "template": (
               "We have not heard from you about \"{{ ticket.subject }}\" for a week, so we "
               "are closing this ticket. Reply to reopen it.")},
           {"action": "set", "status": "resolved"}]}


def test_auto_close_resolves_stalled_tickets_after_seven_idle_days(any_rhub: Hub) -> None:
    rhub = any_rhub
    define(rhub, **AUTO_CLOSE)
    stalled = open_ticket(rhub, "waiting for the customer")
    rhub.bus.handle(tc.UpdateTicket(ticket_id=stalled, status="stalled"), staff())
    busy = open_ticket(rhub, "still open")
    drain(rhub)
    assert check_idle(rhub, now=utcnow() + dt.timedelta(days=6)) == 0
    assert check_idle(rhub, now=utcnow() + dt.timedelta(days=8)) == 1
    drain(rhub)
    assert state(rhub, stalled)["status"] == "resolved"
    assert state(rhub, busy)["status"] == "new"
    notice = events_of(rhub, stalled, "TicketCorresponded")
    assert len(notice) == 1 and "for a week" in notice[0].data["body"]
    # the same stretch of idleness never fires twice, also on the next check
    assert check_idle(rhub, now=utcnow() + dt.timedelta(days=9)) == 0
    assert len(activities(rhub, stalled)) == 1


def test_idle_counts_from_the_last_human_change_not_automation(rhub: Hub) -> None:
    define(rhub, name="nudge", on="ticket.idle", **{"for": "3d"},
           do=[{"action": "comment", "template": "idle since {{ ticket.updated_at }}"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    later = utcnow() + dt.timedelta(days=4)
    assert check_idle(rhub, now=later) == 1
    drain(rhub)
    assert check_idle(rhub, now=later + dt.timedelta(days=4)) == 0  # its own comment is no life
    rhub.bus.handle(tc.Comment(ticket_id=ticket, body="looking"), staff())
    assert check_idle(rhub, now=utcnow() + dt.timedelta(days=2)) == 0  # a person acted: wait
    assert check_idle(rhub, now=utcnow() + dt.timedelta(days=3, minutes=1)) == 1
    assert len(activities(rhub, ticket)) == 2


def test_resolved_tickets_are_not_idle_unless_the_rule_names_their_status(rhub: Hub) -> None:
    define(rhub, name="nudge", on="ticket.idle", **{"for": "1d"},
           do=[{"action": "comment", "template": "x"}])
    ticket = open_ticket(rhub)
    rhub.bus.handle(tc.UpdateTicket(ticket_id=ticket, status="resolved"), staff())
    assert check_idle(rhub, now=utcnow() + dt.timedelta(days=2)) == 0


def test_a_due_reminder_goes_on_the_ticket_mails_its_owner_and_triggers_rules(rhub: Hub) -> None:
    define(rhub, name="on-reminder", on="reminder.due",
           do=[{"action": "comment", "template": "reminded: {{ event.detail.note }}"}])
    ticket = open_ticket(rhub)
    reminder = rhub.bus.handle(rc.SetReminder(ticket_id=ticket, in_="2h", note="call back"),
                               staff("alice"))
    assert fire_reminders(rhub, now=utcnow() + dt.timedelta(hours=1)) == 0
    assert fire_reminders(rhub, now=utcnow() + dt.timedelta(hours=3)) == 1
    assert fire_reminders(rhub, now=utcnow() + dt.timedelta(hours=4)) == 0
    due = activities(rhub, ticket, "reminder.due")
    assert len(due) == 1 and due[0]["detail"]["reminder_id"] == reminder["id"]
    mails = [d for d in deliveries(rhub, ticket) if d["via"] == "mail"]
    assert [(m["user"], m["cause"]) for m in mails] == [("alice", f"reminder:{reminder['id']}")]
    drain(rhub)
    assert [e.data["body"] for e in events_of(rhub, ticket, "TicketCommented")] == [
        "reminded: call back"]


def test_a_cancelled_reminder_never_fires(rhub: Hub) -> None:
    ticket = open_ticket(rhub)
    reminder = rhub.bus.handle(rc.SetReminder(ticket_id=ticket, in_="1h"), staff("alice"))
    rhub.bus.handle(rc.CancelReminder(ticket_id=ticket, reminder_id=reminder["id"]),
                    staff("alice"))
    assert fire_reminders(rhub, now=utcnow() + dt.timedelta(hours=2)) == 0
    assert activities(rhub, ticket, "reminder.due") == []


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append({"body": json.loads(self.rfile.read(length)),
                              "signature": self.headers.get("X-Hub-Signature-256")})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_webhook_action_reaches_a_real_http_receiver(
        rhub: Hub, receiver: tuple[str, list[dict[str, Any]]]) -> None:
    from hub.channels.feature import make_sender

    url, received = receiver
    define(rhub, name="hook", on="ticket.created", **{"if": {"queue": "General"}},
           do=[{"action": "webhook", "url": url, "template": "New: {{ ticket.subject }}"}])
    ticket = open_ticket(rhub)
    drain(rhub)
    sender = make_sender(rhub)
    for _ in range(20):
        if sender.send_due() == 0 and received:
            break
    assert len(received) == 1
    body = received[0]["body"]
    assert body["rule"] == "hook" and body["ticket"]["id"] == ticket
    assert body["text"] == "New: Disk full on web-01"
    assert [d["state"] for d in deliveries(rhub, ticket)] == ["delivered"]
