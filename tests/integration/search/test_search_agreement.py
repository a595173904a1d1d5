"""The ticket list's ``q=`` (API and desk list) and ``/search`` find the same tickets:
words of the subject, of the first message and of correspondence for everyone who may see
the ticket, words of comments only for those who may read comments (ShowTicketComments).
Run on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.search.indexer import catch_up
from hub.tickets import commands as tc

PASSWORD = "password123"
STAFF = Actor("alice", "alice@example.com", "staff", "api")
USERS = {"alice": "staff", "carl": "customer", "bob": "staff"}


class Searches:
    """One ticket per queue; each user asks all four searches the same word."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        for name, role in USERS.items():
            hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                         password=PASSWORD), system_actor("cli"))
        self.app: Flask = create_app(hub)
        self.app.config["WTF_CSRF_ENABLED"] = False
        self.tokens = {name: str(hub.bus.handle(ac.CreateToken(user=name, name="t"),
                                                system_actor("cli"))["token"])
                       for name in USERS}
        self.sessions: dict[str, FlaskClient] = {}
        for name in USERS:
            client = self.app.test_client()
            response = client.post("/login", data={"username": name, "password": PASSWORD})
            assert response.status_code == 303, response.data[:300]
            self.sessions[name] = client

    def found(self, user: str, word: str) -> dict[str, set[int]]:
        """Ticket ids each search gives ``user`` for ``word``."""
        auth = {"Authorization": f"Bearer {self.tokens[user]}"}
        client = self.app.test_client()
        listed = client.get("/api/v1/tickets", query_string={"q": word}, headers=auth)
        hits = client.get("/api/v1/search", query_string={"q": word}, headers=auth)
        assert listed.status_code == 200 and hits.status_code == 200, (listed.data, hits.data)
        session = self.sessions[user]
        desk = session.get("/tickets", query_string={"q": word})
        page = session.get("/search", query_string={"q": word})
        assert desk.status_code == 200 and page.status_code == 200
        return {
            "api list": {t["id"] for t in listed.get_json()["tickets"]},
            "api search": {int(h["id"]) for h in hits.get_json()["hits"] if h["kind"] == "ticket"},
            "desk list": _ticket_links(desk.data.decode()),
            "search page": _ticket_links(page.data.decode()),
        }


def _ticket_links(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/tickets/(\d+)"', html)}


@pytest.fixture
def searches(any_hub: Hub) -> tuple[Searches, int, int]:
    """Ticket 1 in General (carl's), ticket 2 in Managed, where bob may see tickets but
    not their comments."""
    hub = any_hub
    world = Searches(hub)
    bus = hub.bus
    bus.handle(tc.CreateQueue(name="Managed"), system_actor())
    for right in ("SeeQueue", "ShowTicket"):
        bus.handle(ac.GrantRight(scope="Managed", principal="user:bob", right=right),
                   system_actor("cli"))
    for right in ("SeeQueue", "ShowTicket", "ShowTicketComments", "CommentOnTicket",
                  "ReplyToTicket", "CreateTicket"):
        bus.handle(ac.GrantRight(scope="Managed", principal="user:alice", right=right),
                   system_actor("cli"))
    first = int(bus.handle(tc.CreateTicket(
        queue="General", subject="Quasar printer offline", body="it says pelican error",
        requestors=["carl@example.com"]), STAFF)["id"])
    bus.handle(tc.Correspond(first, "please power-cycle the marmoset unit"), STAFF)
    bus.handle(tc.Comment(first, "vendor contract says zeppelin support only"), STAFF)
    second = int(bus.handle(tc.CreateTicket(
        queue="Managed", subject="Managed switch flapping", body="port 7",
        requestors=["dora@example.com"]), STAFF)["id"])
    bus.handle(tc.Comment(second, "the walrus firmware is to blame"), STAFF)
    catch_up(hub)
    return world, first, second


def _everywhere(found: dict[str, set[int]], ticket: int) -> dict[str, bool]:
    return {name: ticket in ids for name, ids in found.items()}


ALL = {"api list": True, "api search": True, "desk list": True, "search page": True}
NONE = dict.fromkeys(ALL, False)


@pytest.mark.parametrize("word", ["quasar", "pelican", "marmoset"])
def test_subject_first_message_and_correspondence_are_found_by_all(
        searches: tuple[Searches, int, int], word: str) -> None:
    world, first, _ = searches
    for user in ("alice", "carl"):
        assert _everywhere(world.found(user, word), first) == ALL, (user, word)


def test_a_comment_word_is_found_by_staff_and_never_by_the_customer(
        searches: tuple[Searches, int, int]) -> None:
    world, first, _ = searches
    assert _everywhere(world.found("alice", "zeppelin"), first) == ALL
    found = world.found("carl", "zeppelin")
    assert _everywhere(found, first) == NONE
    assert all(ids == set() for ids in found.values())  # and nothing else in its place


def test_staff_without_show_ticket_comments_find_no_comment_words(
        searches: tuple[Searches, int, int]) -> None:
    world, _, second = searches
    assert _everywhere(world.found("alice", "walrus"), second) == ALL
    assert _everywhere(world.found("bob", "switch"), second) == ALL  # bob sees the ticket
    assert _everywhere(world.found("bob", "walrus"), second) == NONE  # not its comments
