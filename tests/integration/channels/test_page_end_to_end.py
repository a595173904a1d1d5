"""The whole page, for real: a `hub serve` process (web, reactors, scheduler, channel
sender, XMPP link), a webhook receiver, Debian's prosody and Kannel with its fake SMSC.

A ticket in a queue with a two-step escalation policy pages the on-call user of a
rotation by a signed webhook; nobody acknowledges, so the page escalates to bob by
SMS and XMPP. Strangers and a customer answering ``ACK <code>`` change nothing; bob's
``ACK <code>`` by SMS (fake SMSC -> Kannel -> get-url -> the hub) acknowledges the
first page and nobody is notified after that; bob's XMPP reply acknowledges a second
page. Real time throughout: the steps wait 5 s and 10 s, the escalation job runs
every 5 s, so every wait below polls with a generous timeout.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from channel_support import Kannel, Prosody, WebhookReceiver, wait_until
from hub_support import Server, add_user, make_hub, make_token

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.db import events
from hub.oncall import commands as oc
from hub.reactors import reactor_position
from hub.tickets import commands as tc

CLI = system_actor("cli")
BOB_SMS = "+4915110000002"
CORA_SMS = "+4915110000003"
STRANGER_SMS = "+4915199999999"
TIMEOUT = 60.0


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> Any:
        r = requests.get(self.base + path, headers=self.headers, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = requests.post(self.base + path, json=body, headers=self.headers, timeout=30)
        assert r.status_code in (200, 201), (path, r.status_code, r.text)
        return r.json()

    def page_of(self, ticket_id: int) -> dict[str, Any] | None:
        pages = self.get(f"/api/v1/pages?ticket_id={ticket_id}")["pages"]
        return pages[0] if pages else None

    def activity(self, ticket_id: int) -> list[str]:
        return [h["data"]["kind"] for h in self.get(f"/api/v1/tickets/{ticket_id}/history")
                if h["type"] == "TicketActivityRecorded"]


def set_up(hub: Hub, receiver: WebhookReceiver, prosody: Prosody) -> dict[str, str]:
    """Users with contacts, a rotation with alice on call now, the policy, the queue."""
    jids = {name: prosody.register(name, f"{name}-pw") for name in ("bob", "cora", "mallory")}
    for name, role in [("alice", "staff"), ("bob", "staff"), ("cora", "customer")]:
        add_user(hub, name, role)
    contacts = {"alice": {"webhook": receiver.url},
                "bob": {"sms": BOB_SMS, "xmpp": jids["bob"]},
                "cora": {"sms": CORA_SMS, "xmpp": jids["cora"]}}
    for name, found in contacts.items():
        hub.bus.handle(ac.SetContacts(name=name, contacts=found), CLI)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    hub.bus.handle(oc.SaveSchedule(name="ops", document={
        "timezone": "UTC", "rotation": {"users": ["alice", "bob"], "shift": "1w",
                                        "start": start}}), CLI)
    hub.bus.handle(oc.SavePolicy(name="crit", document={"steps": [
        {"notify": "schedule:ops", "via": ["webhook"], "wait": "5s"},
        {"notify": "user:bob", "via": ["sms", "xmpp"], "wait": "10s"}], "repeat": 1}), CLI)
    hub.bus.handle(tc.CreateQueue(name="Alerts", address="alerts@hub.test",
                                  comment_address="alerts-comment@hub.test"), CLI)
    hub.bus.handle(tc.ChangeQueue(name="Alerts", changes={"escalation_policy": "crit"}), CLI)
    return jids


def replies_from(hub: Hub, sender: str) -> list[int]:
    """Positions of the ChannelReplyReceived events from ``sender``."""
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.position, events.c.data).where(
            events.c.type == "ChannelReplyReceived").order_by(events.c.position)).all()
    return [int(r.position) for r in rows if r.data["sender"] == sender]


def acks_passed(hub: Hub, position: int) -> bool:
    """The ack reactor (in the server's reactor process) has handled ``position``."""
    with hub.engine.connect() as conn:
        known = reactor_position(conn, "reactor:oncall_page_acks")
    return known is not None and int(known) >= position


def reply_handled(hub: Hub, sender: str) -> bool:
    found = replies_from(hub, sender)
    return bool(found) and acks_passed(hub, found[-1])


def hooks_for(receiver: WebhookReceiver, page_id: int) -> list[Any]:
    return [h for h in receiver.requests if h.body.get("page_id") == page_id]


def escalated(api: Api, ticket_id: int) -> dict[str, Any] | None:
    """The page once it is at step 2 and both of bob's notifications are recorded."""
    page = api.page_of(ticket_id)
    if page is None or page["step"] != 2:
        return None
    return page if {("bob", "sms"), ("bob", "xmpp")} <= {
        (n["user"], n["via"]) for n in page["notified"]} else None


def test_a_page_escalates_over_a_signed_webhook_and_is_acknowledged_by_sms_and_xmpp(
        tmp_path: Path, webhook_receiver: WebhookReceiver, prosody: Prosody,
        kannel_factory: Callable[[str], Kannel]) -> None:
    began = time.monotonic()
    hub = make_hub(tmp_path)
    jids = set_up(hub, webhook_receiver, prosody)
    hub_jid = prosody.register("opshub", "hub-xmpp-pw")
    data_dir = tmp_path / "var"
    server = Server(data_dir, {})
    kannel = kannel_factory(f"{server.url}/api/v1/channels/sms/inbound")
    server.env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_SECRET_KEY": "test-secret",
                  "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": "",
                  "HUB_WEBHOOK_SECRET": webhook_receiver.secret,
                  "PYTHONPATH": os.pathsep.join(sys.path),
                  **kannel.hub_env(), **prosody.hub_env(hub_jid, "hub-xmpp-pw")}
    bob = prosody.client(jids["bob"], "bob-pw")
    cora = prosody.client(jids["cora"], "cora-pw")
    mallory = prosody.client(jids["mallory"], "mallory-pw")
    server.start("--workers", "1", "--no-smtp")
    api = Api(server.url, make_token(hub, "admin"))
    try:
        # -- page 1: the rotation's alice by a signed webhook --------------------------
        ticket = api.post("/api/v1/tickets", {"queue": "Alerts", "subject": "web-01 down",
                                              "body": "HTTP check failed"})["id"]
        page = wait_until(lambda: api.page_of(ticket), TIMEOUT, "the page")
        code = page["code"]
        assert page["state"] == "triggered" and page["step"] == 1
        wait_until(lambda: hooks_for(webhook_receiver, page["id"]), TIMEOUT, "the webhook")
        [hook] = hooks_for(webhook_receiver, page["id"])
        assert hook.signature_ok, hook.headers
        assert hook.body["user"] == "alice" and hook.body["ticket_id"] == ticket
        assert f"ACK {code}" in hook.body["text"] and hook.body["urgent"] is True
        # nobody acknowledges: after 5 s the page moves on to bob by SMS and XMPP
        page = wait_until(lambda: escalated(api, ticket), TIMEOUT, "the escalation")
        step_two_ends = dt.datetime.fromisoformat(page["next_escalation_at"].removesuffix("Z"))
        alice_hook = next(n for n in page["notified"] if n["via"] == "webhook")
        assert alice_hook["user"] == "alice" and alice_hook["delivery"] == "delivered"
        sms_from, _, text = kannel.wait_for_mt(
            lambda f, t, body: t == BOB_SMS and f"ACK {code}" in body, TIMEOUT)
        assert sms_from == kannel.hub_number and "web-01 down" in text
        assert bob.wait_for(lambda who, body: f"ACK {code}" in body, TIMEOUT)[0] == hub_jid
        # a number that is no hub user answers first: nothing happens
        kannel.inject_mo(STRANGER_SMS, f"ACK {code}")
        wait_until(lambda: reply_handled(hub, STRANGER_SMS), TIMEOUT, "the stranger's SMS")
        assert api.page_of(ticket)["state"] == "triggered"
        # bob's SMS answer: Kannel's get-url brings it to the hub, which acknowledges
        kannel.inject_mo(BOB_SMS, f"ACK {code}")
        page = wait_until(lambda: (p := api.page_of(ticket)) and p["state"] == "acknowledged"
                          and p, TIMEOUT, "the SMS acknowledgement")
        assert (page["acknowledged_by"], page["acknowledged_via"]) == ("bob", "sms")
        assert page["next_escalation_at"] is None

        # -- page 2, while page 1's step-2 wait runs out: acknowledged over XMPP -----
        second = api.post("/api/v1/tickets", {"queue": "Alerts", "subject": "db-02 down",
                                              "body": "replication stopped"})["id"]
        page2 = wait_until(lambda: escalated(api, second), TIMEOUT, "page 2 at step 2")
        code2 = page2["code"]
        assert code2 != code
        bob.wait_for(lambda who, body: f"ACK {code2}" in body, TIMEOUT)
        mallory.send(hub_jid, f"ACK {code2}")  # a JID that is no hub user's contact
        cora.send(hub_jid, f"ACK {code2}")  # a customer's own contact
        for jid in (jids["mallory"], jids["cora"]):
            wait_until(lambda j=jid: reply_handled(hub, j), TIMEOUT, f"the reply of {jid}")
        assert api.page_of(second)["state"] == "triggered"
        bob.send(hub_jid, f"ack {code2}")
        page2 = wait_until(lambda: (p := api.page_of(second)) and p["state"] == "acknowledged"
                           and p, TIMEOUT, "the XMPP acknowledgement")
        assert (page2["acknowledged_by"], page2["acknowledged_via"]) == ("bob", "xmpp")

        # -- page 1 after its step-2 wait ran out: nobody was notified again ----------
        deadline = step_two_ends + dt.timedelta(seconds=12)  # two runs of the job
        while dt.datetime.now(dt.UTC).replace(tzinfo=None) < deadline:
            time.sleep(0.5)
        page = api.page_of(ticket)
        assert page["state"] == "acknowledged" and (page["step"], page["round"]) == (2, 0)
        assert len(hooks_for(webhook_receiver, page["id"])) == 1
        assert len(page["notified"]) == 3
        assert all(n["delivery"] == "delivered" for n in page["notified"]), page["notified"]
        deliveries = api.get(f"/api/v1/channels/deliveries?ticket_id={ticket}")["deliveries"]
        assert sorted((d["user"], d["via"]) for d in deliveries) == [
            ("alice", "webhook"), ("bob", "sms"), ("bob", "xmpp")]
        assert len([m for m in kannel.mt_messages() if f"ACK {code}" in m[2]]) == 1
        kinds = api.activity(ticket)
        assert kinds.count("page.triggered") == 1 and kinds.count("page.escalated") == 1
        assert kinds.count("page.notified") == 3 and kinds.count("page.acknowledged") == 1
        assert "page.acknowledged" in api.activity(second)
        with hub.engine.connect() as conn:
            refused = {r.data["sender"]: r.data["user"] for r in conn.execute(
                sa.select(events.c.data).where(events.c.type == "ChannelReplyReceived"))}
        assert refused[STRANGER_SMS] is None and refused[jids["mallory"]] is None
        assert refused[jids["cora"]] == "cora" and refused[BOB_SMS] == "bob"
    finally:
        server.stop()
        hub.engine.dispose()
    assert time.monotonic() - began < 120
