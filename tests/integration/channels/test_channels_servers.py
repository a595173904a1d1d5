"""XMPP through a real prosody and SMS through a real Kannel with its fake SMSC:
notifications out, replies in as ChannelReplyReceived with the matching user."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from channel_support import Kannel, Prosody, wait_until
from hub_support import Server, add_user, make_hub

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.channels import queries as q
from hub.channels.commands import Notify
from hub.channels.feature import make_sender, xmpp_link
from hub.db import events

SYSTEM = system_actor("system", name="oncall")


def replies(hub: Hub) -> list[dict[str, Any]]:
    with hub.engine.connect() as conn:
        return [dict(r.data) for r in conn.execute(sa.select(events.c.data).where(
            events.c.type == "ChannelReplyReceived").order_by(events.c.position))]


def state_of(hub: Hub, delivery_id: str) -> str:
    with hub.engine.connect() as conn:
        found = q.delivery(conn, delivery_id)
    assert found is not None
    return str(found["state"])


def test_xmpp_message_is_delivered_and_replies_act_as_the_matching_user(
        tmp_path: Path, prosody: Prosody) -> None:
    hub_jid = prosody.register("opshub", "hub-xmpp-pw")
    alice_jid = prosody.register("alice", "alice-pw")
    stranger_jid = prosody.register("mallory", "mallory-pw")
    hub = make_hub(tmp_path)
    env = prosody.hub_env(hub_jid, "hub-xmpp-pw")
    hub.settings = replace(hub.settings, xmpp_jid=env["HUB_XMPP_JID"],
                           xmpp_password=env["HUB_XMPP_PASSWORD"],
                           xmpp_server=env["HUB_XMPP_SERVER"], xmpp_tls=False)
    add_user(hub, "alice", "staff")
    hub.bus.handle(ac.SetContacts(name="alice", contacts={"xmpp": alice_jid}),
                   system_actor("cli"))
    alice = prosody.client(alice_jid, "alice-pw")
    stranger = prosody.client(stranger_jid, "mallory-pw")
    link = xmpp_link(hub)
    assert link is not None
    try:
        assert link.start(wait=30), prosody.log()
        result = hub.bus.handle(Notify(via="xmpp", user="alice", subject="PAGE #7",
                                       text="web-01 down. Reply ACK 7", urgent=True,
                                       cause="page-7:1"), SYSTEM)
        sender = make_sender(hub, link)
        assert sender.send_due() == 1
        assert state_of(hub, result["id"]) == "delivered"
        assert alice.wait_for(lambda who, body: "web-01 down" in body)[0] == hub_jid
        alice.send(hub_jid, "ACK 7")
        stranger.send(hub_jid, "ACK 7")
        wait_until(lambda: len(replies(hub)) >= 2, 30, "two XMPP replies")
        by_sender = {r["sender"]: r for r in replies(hub)}
        assert by_sender[alice_jid]["user"] == "alice" and by_sender[alice_jid]["text"] == "ACK 7"
        assert by_sender[stranger_jid]["user"] is None
    finally:
        link.stop()
        hub.engine.dispose()
    # With the link down, a message is not delivered: it waits for a retry.
    again = hub.bus.handle(Notify(via="xmpp", user="alice", subject="s", text="t",
                                  cause="page-8:1"), SYSTEM)
    make_sender(hub, link).send_due()
    assert state_of(hub, again["id"]) == "queued"


def test_sms_goes_out_through_kannel_and_an_inbound_ack_reaches_the_hub(
        tmp_path: Path, kannel_factory: Callable[[str], Kannel]) -> None:
    data_dir = tmp_path / "var"
    hub = make_hub(tmp_path)
    add_user(hub, "alice", "staff")
    hub.bus.handle(ac.SetContacts(name="alice", contacts={"sms": "+491511234567"}),
                   system_actor("cli"))
    token = "kannel-inbound-token"
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": "",
           "HUB_KANNEL_INBOUND_TOKEN": token, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = Server(data_dir, env)
    server.start("--no-scheduler", "--no-smtp")
    try:
        kannel = kannel_factory(f"{server.url}/api/v1/channels/sms/inbound")
        s = kannel.hub_env()
        hub.settings = replace(hub.settings, kannel_sendsms_url=s["HUB_KANNEL_SENDSMS_URL"],
                               kannel_user=s["HUB_KANNEL_USER"],
                               kannel_password=s["HUB_KANNEL_PASSWORD"],
                               kannel_from=s["HUB_KANNEL_FROM"])
        result = hub.bus.handle(Notify(via="sms", user="alice", subject="PAGE #9",
                                       text="db-02 down. Reply ACK 9", urgent=True,
                                       cause="page-9:1"), SYSTEM)
        assert make_sender(hub).send_due() == 1
        assert state_of(hub, result["id"]) == "delivered"
        sender, receiver, text = kannel.wait_for_mt(lambda f, t, body: "db-02 down" in body)
        assert receiver == "+491511234567" and sender == kannel.hub_number
        assert text.startswith("PAGE #9: db-02 down")
        kannel.inject_mo("+491511234567", "ACK 9")
        wait_until(lambda: replies(hub), 60, "the inbound SMS at the hub")
        [reply] = replies(hub)
        assert reply == {"via": "sms", "sender": "+491511234567", "user": "alice",
                         "text": "ACK 9"}
        # Kannel refusing the credentials is a final failure, never "delivered".
        hub.settings = replace(hub.settings, kannel_password="wrong")
        refused = hub.bus.handle(Notify(via="sms", user="alice", subject="s", text="t",
                                        cause="page-10:1"), SYSTEM)
        make_sender(hub).send_due()
        assert state_of(hub, refused["id"]) == "failed"
    finally:
        server.stop()
        hub.engine.dispose()
