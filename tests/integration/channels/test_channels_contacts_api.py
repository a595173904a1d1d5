"""Contacts and quiet hours through the user API and the account page; the channel
endpoints refuse outsiders and customers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hub_support import add_user, make_hub, make_token

from hub import create_app
from hub.accounts import queries as aq
from hub.bootstrap import Hub


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Hub, Flask]]:
    hub = make_hub(tmp_path)
    hub.settings = replace(hub.settings, kannel_inbound_token="sms-token")
    add_user(hub, "alice", "staff")
    add_user(hub, "bob", "staff")
    add_user(hub, "carol", "customer")
    app = create_app(hub)
    yield hub, app
    hub.engine.dispose()


def bearer(hub: Hub, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(hub, user)}"}


def patch(app: Flask, headers: dict[str, str], name: str, body: Any) -> Any:
    return app.test_client().patch(f"/api/v1/users/{name}", json=body, headers=headers)


def test_users_set_their_own_contacts_and_only_they_and_admins_see_them(
        site: tuple[Hub, Flask]) -> None:
    hub, app = site
    alice = bearer(hub, "alice")
    answer = patch(app, alice, "alice", {
        "contacts": {"sms": "+49 151 1234567", "xmpp": "Alice@Example.org",
                     "webhook": "https://chat.example.com/hooks/abc", "mail": "pager@example.com"},
        "quiet_hours": {"timezone": "Europe/Berlin", "from": "22:00", "to": "07:00"}})
    assert answer.status_code == 200, answer.json
    assert answer.json["contacts"]["sms"] == "+491511234567"
    assert answer.json["contacts"]["xmpp"] == "alice@example.org"
    assert answer.json["quiet_hours"]["from"] == "22:00"
    with hub.engine.connect() as conn:
        found = aq.contacts_of(conn, "alice")
        assert found is not None and found.sms == "+491511234567"
        assert found.mail == "pager@example.com" and found.quiet_hours is not None
        assert aq.user_by_contact(conn, "sms", "+491511234567") == "alice"
        assert aq.user_by_contact(conn, "xmpp", "alice@example.org") == "alice"
        bob = aq.contacts_of(conn, "bob")
        assert bob is not None and bob.mail == "bob@example.com" and bob.sms is None
    # A null removes one channel and keeps the others; quiet hours stay unless named.
    answer = patch(app, alice, "alice", {"contacts": {"mail": None}})
    assert answer.status_code == 200 and "mail" not in answer.json["contacts"]
    assert answer.json["contacts"]["sms"] and answer.json["quiet_hours"]
    assert patch(app, alice, "alice", {"quiet_hours": None}).json["quiet_hours"] is None
    client = app.test_client()
    assert client.get("/api/v1/users/alice", headers=alice).json["contacts"]["sms"]
    assert client.get("/api/v1/users/alice", headers=bearer(hub, "admin")).json[
        "contacts"]["sms"]
    for other in ("bob", "carol"):
        refused = client.get("/api/v1/users/alice", headers=bearer(hub, other))
        assert refused.status_code == 403 and "+49" not in refused.get_data(as_text=True)
    assert client.get("/api/v1/users/alice").status_code == 401
    # A customer manages their own contacts too, but nobody else's, and nothing else.
    carol = bearer(hub, "carol")
    assert patch(app, carol, "carol", {"contacts": {"sms": "+15551234567"}}).status_code == 200
    assert patch(app, carol, "alice", {"contacts": {"sms": "+15550000000"}}).status_code == 403
    assert patch(app, carol, "carol", {"contacts": {"sms": "+15551234567"},
                                      "role": "admin"}).status_code == 403
    assert patch(app, {}, "carol", {"contacts": {}}).status_code == 401
    # The hub POSTs to a webhook from inside the network: no customer picks the target.
    internal = {"contacts": {"webhook": "http://169.254.169.254/latest/meta-data"}}
    assert patch(app, carol, "carol", internal).status_code == 403
    assert "webhook" not in patch(app, carol, "carol", {"contacts": {}}).json["contacts"]
    # An admin may set anyone's.
    assert patch(app, bearer(hub, "admin"), "bob", {
        "contacts": {"xmpp": "bob@example.org"}}).status_code == 200


@pytest.mark.parametrize("body", [
    {"contacts": {"sms": "12345"}},
    {"contacts": {"webhook": "ftp://example.com/x"}},
    {"contacts": {"webhook": "javascript:alert(1)"}},
    {"contacts": {"xmpp": "not a jid"}},
    {"contacts": {"mail": "nope"}},
    {"contacts": {"pager": "1"}},
    {"contacts": "sms"},
    {"quiet_hours": {"timezone": "Nowhere/City", "from": "22:00", "to": "07:00"}},
    {"quiet_hours": {"timezone": "UTC", "from": "7am", "to": "07:00"}},
    {"quiet_hours": "nights"},
])
def test_bad_contacts_are_refused_with_a_json_error(site: tuple[Hub, Flask],
                                                    body: dict[str, Any]) -> None:
    hub, app = site
    answer = patch(app, bearer(hub, "alice"), "alice", body)
    assert answer.status_code in (400, 422), answer.get_data(as_text=True)
    assert "error" in answer.json


def login(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True))
    assert token is not None
    assert client.post("/login", data={"username": user, "password": "password123",
                                       "csrf_token": token.group(1)}).status_code == 303
    return client


def csrf(client: FlaskClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/account").get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_the_account_page_edits_contacts_with_a_csrf_token(site: tuple[Hub, Flask]) -> None:
    hub, app = site
    app.config["WTF_CSRF_ENABLED"] = True
    client = login(app, "carol")
    page = client.get("/account").get_data(as_text=True)
    assert 'action="/account/contacts"' in page
    form = {"sms": "+44 7700 900123", "xmpp": "carol@example.net", "mail": "",
            "webhook": "", "webhook_format": "generic", "quiet_from": "23:00",
            "quiet_to": "06:30", "quiet_timezone": "Europe/London"}
    assert client.post("/account/contacts", data=form).status_code == 400  # no token
    saved = client.post("/account/contacts", data={**form, "csrf_token": csrf(client)})
    assert saved.status_code == 303
    with hub.engine.connect() as conn:
        found = aq.contacts_of(conn, "carol")
    assert found is not None and found.sms == "+447700900123"
    assert found.quiet_hours == {"timezone": "Europe/London", "from": "23:00", "to": "06:30"}
    page = client.get("/account").get_data(as_text=True)
    assert 'value="+447700900123"' in page and 'value="23:00"' in page
    bad = client.post("/account/contacts", data={**form, "sms": "call me",
                                                  "csrf_token": csrf(client)},
                      follow_redirects=True)
    assert "Contacts not saved" in bad.get_data(as_text=True)
    anonymous = app.test_client().post("/account/contacts", data=form)
    assert anonymous.status_code in (302, 303, 400, 401)
    assert "/login" in anonymous.headers.get("Location", "/login")


def test_inbound_sms_needs_the_token_and_records_who_wrote(site: tuple[Hub, Flask]) -> None:
    hub, app = site
    patch(app, bearer(hub, "alice"), "alice", {"contacts": {"sms": "+491511234567"}})
    client = app.test_client()
    url = "/api/v1/channels/sms/inbound"
    assert client.get(url, query_string={"from": "+491511234567", "text": "ACK 1"}
                      ).status_code == 403
    assert client.get(url, query_string={"from": "+491511234567", "text": "ACK 1",
                                         "token": "wrong"}).status_code == 403
    assert client.get(url, query_string={"text": "x", "token": "sms-token"}).status_code == 400
    ok = client.get(url, query_string={"from": "491511234567", "text": "ACK 1",
                                       "token": "sms-token"})
    assert ok.status_code == 200 and ok.get_data() == b""
    client.get(url, query_string={"from": "+15550001111", "text": "hello?",
                                  "token": "sms-token"})
    import sqlalchemy as sa

    from hub.db import events

    with hub.engine.connect() as conn:
        rows = [r.data for r in conn.execute(sa.select(events.c.data).where(
            events.c.type == "ChannelReplyReceived").order_by(events.c.position))]
    assert rows == [
        {"via": "sms", "sender": "+491511234567", "user": "alice", "text": "ACK 1"},
        {"via": "sms", "sender": "+15550001111", "user": None, "text": "hello?"}]


def test_deliveries_api_is_for_staff_who_may_see_the_ticket(site: tuple[Hub, Flask]) -> None:
    hub, app = site
    client = app.test_client()
    url = "/api/v1/channels/deliveries"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(hub, "carol")).status_code == 403
    assert client.get(url, headers=bearer(hub, "alice")).status_code == 403  # all: admins
    assert client.get(url, headers=bearer(hub, "admin")).json == {"deliveries": []}
    assert client.get(url + "?ticket_id=999", headers=bearer(hub, "alice")).status_code == 404
    assert client.get(url + "?ticket_id=abc", headers=bearer(hub, "admin")).status_code == 400
    assert client.get(url + "?state=lost", headers=bearer(hub, "admin")).status_code == 400
