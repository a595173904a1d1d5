"""Against a real ``hub serve``: search hits and snippets answer as GET ticket would.

Each test starts from the attack as written (a staff member outside a managed queue,
a customer whose role grant was withdrawn, a staff member without
ShowTicketComments/SeeInternalFields) and asserts what the attacker gets: nothing;
then the positive path (the member of the managed group still finds it).

Rights are set up through the administration API where the server has it
(``/api/v1/groups``, ``/api/v1/grants``), else through the same commands the CLI sends.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from hub_support import Server, add_user, make_token

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub

TIMEOUT = 10


class World:
    """Users with tokens on a running server, and admin helpers for rights."""

    def __init__(self, srv: Server, hub: Hub) -> None:
        self.srv, self.hub = srv, hub
        self.tokens = {"admin": make_token(hub, "admin")}

    def user(self, name: str, role: str, password: str = "password123") -> None:
        add_user(self.hub, name, role, password=password)
        self.tokens[name] = make_token(self.hub, name)

    def call(self, who: str, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, self.srv.url + path, timeout=TIMEOUT,
                                headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kw)

    def _admin(self, path: str, body: dict[str, Any], method: str = "POST") -> bool:
        """Through the admin API when the server has it; False when it does not."""
        response = self.call("admin", method, path, json=body)
        if response.status_code in (404, 405) and "not found" in response.text.lower():
            return False
        assert response.status_code < 300, response.text
        return True

    def group(self, name: str, *members: str) -> None:
        if not self._admin("/api/v1/groups", {"name": name}):
            self.hub.bus.handle(ac.CreateGroup(name=name), system_actor("cli"))
        for member in members:
            if not self._admin(f"/api/v1/groups/{name}/members/{member}", {}, "PUT"):
                self.hub.bus.handle(ac.ChangeGroupMember(group=name, user=member),
                                    system_actor("cli"))

    def grant(self, right: str, queue: str, to: str) -> None:
        if not self._admin("/api/v1/grants", {"right": right, "queue": queue, "to": to}):
            self.hub.bus.handle(ac.GrantRight(scope=queue, principal=to, right=right),
                                system_actor("cli"))

    def revoke(self, right: str, queue: str, to: str) -> None:
        response = self.call("admin", "DELETE", "/api/v1/grants",
                             json={"right": right, "queue": queue, "to": to})
        if response.status_code in (404, 405) and "not found" in response.text.lower():
            self.hub.bus.handle(ac.RevokeRight(scope=queue, principal=to, right=right),
                                system_actor("cli"))
        else:
            assert response.status_code < 300, response.text

    def queue(self, name: str, **spec: Any) -> None:
        response = self.call("admin", "POST", "/api/v1/queues", json={"name": name, **spec})
        if response.status_code in (404, 405):
            from hub.tickets import commands as tc

            self.hub.bus.handle(tc.CreateQueue(name=name, **spec), system_actor("cli"))
        else:
            assert response.status_code < 300, response.text

    def ticket(self, queue: str, subject: str, body: str, **kw: Any) -> int:
        response = self.call("admin", "POST", "/api/v1/tickets",
                             json={"queue": queue, "subject": subject, "body": body, **kw})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def hits(self, who: str, q: str) -> list[dict[str, Any]]:
        response = self.call(who, "GET", "/api/v1/search", params={"q": q})
        assert response.status_code == 200, response.text
        return list(response.json()["hits"])

    def indexed(self, q: str, expected: Any) -> None:
        """Wait until the server's indexer shows ``expected`` to the admin."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if expected in {h["id"] for h in self.hits("admin", q)}:
                return
            time.sleep(0.2)
        raise AssertionError(f"{expected!r} never indexed for {q!r}")

    def web_search(self, who: str, password: str, q: str) -> str:
        session = requests.Session()
        login = session.get(f"{self.srv.url}/login", timeout=TIMEOUT).text
        csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        session.post(f"{self.srv.url}/login", timeout=TIMEOUT, data={
            "username": who, "password": password, "csrf_token": csrf})
        page = session.get(f"{self.srv.url}/search", params={"q": q}, timeout=TIMEOUT)
        assert page.status_code == 200
        assert "logout" in page.text.lower()  # signed in, not the login page
        return page.text


@pytest.fixture
def world(server: tuple[Server, Hub]) -> World:
    return World(*server)


def _snippets(hits: list[dict[str, Any]]) -> str:
    return " ".join(f"{h['title']} {h['snippet']}" for h in hits).lower()


def test_staff_outside_a_managed_queue_finds_nothing_of_it(world: World) -> None:
    world.user("eve", "staff")
    world.user("bob", "staff")
    world.queue("Secops")
    world.group("secops", "bob")
    for right in ("ShowTicket", "ShowTicketComments", "SeeInternalFields"):
        world.grant(right, "Secops", "group:secops")
    ticket = world.ticket("Secops", "Zebrafish merger codename", "quarterly zebrafish plan")
    assert world.call("admin", "POST", f"/api/v1/tickets/{ticket}/comment",
                      json={"body": "okapi private remark about layoffs"}).status_code < 300
    world.indexed("okapi", ticket)

    # The attack: eve is staff, outside the managed queue.
    assert world.call("eve", "GET", f"/api/v1/tickets/{ticket}").status_code == 404
    for q in ("zebrafish", "okapi", "layoffs", "private:okapi", "queue:secops"):
        hits = world.hits("eve", q)
        assert hits == [], (q, hits)
    page = world.web_search("eve", "password123", "zebrafish")
    assert "merger" not in page.lower() and f"/tickets/{ticket}" not in page
    assert "merger" in world.web_search("admin", "admin-password", "zebrafish").lower()

    # The member of the managed group finds subject and comment, as GET would show them.
    assert world.call("bob", "GET", f"/api/v1/tickets/{ticket}").status_code == 200
    assert ticket in {h["id"] for h in world.hits("bob", "zebrafish")}
    assert "okapi" in _snippets(world.hits("bob", "okapi"))


def test_comment_and_internal_field_hits_need_their_rights(world: World) -> None:
    world.user("vic", "staff")
    world.queue("Payroll", custom_fields=[{"name": "CostCentre", "type": "text",
                                           "internal": True}])
    world.group("payroll-readers", "vic")
    world.grant("ShowTicket", "Payroll", "group:payroll-readers")  # and nothing more
    ticket = world.ticket("Payroll", "Salary run for March", "the march salary run",
                          fields={"CostCentre": "CC-99417"})
    world.call("admin", "POST", f"/api/v1/tickets/{ticket}/comment",
               json={"body": "wallaby bonus for the director"})
    world.indexed("wallaby", ticket)
    world.indexed("CC-99417", ticket)

    assert world.call("vic", "GET", f"/api/v1/tickets/{ticket}").status_code == 200
    # Found through a comment or an internal field vic may not see: no hit at all.
    for q in ("wallaby", "director", "comments:wallaby", "CC-99417", "ifields:CC-99417"):
        assert world.hits("vic", q) == [], q
    # Found through what vic sees: a hit, and its snippet holds nothing private.
    hits = world.hits("vic", "salary OR wallaby")
    assert [h["id"] for h in hits] == [ticket]
    text = _snippets(world.hits("vic", "march"))
    assert "march" in text and "wallaby" not in text and "cc-99417" not in text

    # Granted the rights, the same searches find it (the positive path).
    world.grant("ShowTicketComments", "Payroll", "group:payroll-readers")
    world.grant("SeeInternalFields", "Payroll", "group:payroll-readers")
    assert [h["id"] for h in world.hits("vic", "wallaby")] == [ticket]
    assert "wallaby" in _snippets(world.hits("vic", "wallaby"))
    assert [h["id"] for h in world.hits("vic", "CC-99417")] == [ticket]


def test_customer_whose_role_grant_was_withdrawn_finds_nothing(world: World) -> None:
    world.user("carol", "customer", password="carol-password")
    world.queue("Shop")
    # Role-managed: role rights come from grants only.
    world.grant("ShowTicket", "Shop", "role:requestors")
    world.grant("ReplyToTicket", "Shop", "role:requestors")
    ticket = world.ticket("Shop", "Refund for order 5531", "please refund",
                          requestors=["carol@example.com"])
    assert world.call("admin", "POST", f"/api/v1/tickets/{ticket}/correspond",
                      json={"body": "capybara voucher attached"}).status_code < 300
    world.indexed("capybara", ticket)
    assert [h["id"] for h in world.hits("carol", "capybara")] == [ticket]  # before

    world.revoke("ShowTicket", "Shop", "role:requestors")
    assert world.call("carol", "GET", f"/api/v1/tickets/{ticket}").status_code == 404
    for q in ("capybara", "refund", "voucher", "5531"):
        assert world.hits("carol", q) == [], q
    page = world.web_search("carol", "carol-password", "capybara")
    assert "voucher" not in page.lower() and f"/tickets/{ticket}" not in page
    # The staff reply is still found by staff, who may open the ticket.
    assert [h["id"] for h in world.hits("admin", "capybara")] == [ticket]


def test_pages_the_caller_may_not_view_give_no_hits_or_snippets(world: World) -> None:
    world.user("eve", "staff")
    world.user("cora", "customer")
    put = world.call("admin", "PUT", "/api/v1/wiki/Ops/VaultKeys", json={
        "text": "narwhal master key rotation\n   * Set ALLOWTOPICVIEW = AdminGroup\n",
        "base_revision": 0})
    assert put.status_code == 201, put.text
    world.call("admin", "PUT", "/api/v1/wiki/Ops/WebHome", json={
        "text": "%SEARCH{\"narwhal\"}%\n", "base_revision": 0})
    world.indexed("narwhal", "Ops.VaultKeys")

    for who in ("eve", "cora"):
        assert world.call(who, "GET", "/api/v1/wiki/Ops/VaultKeys").status_code == 404
        hits = world.hits(who, "narwhal")
        assert "Ops.VaultKeys" not in {h["id"] for h in hits}, who
        assert "master key" not in _snippets(hits), who
    home = world.call("eve", "GET", "/api/v1/wiki/Ops/WebHome")
    assert home.status_code == 200
    assert "VaultKeys" not in home.json()["html"] and "narwhal master" not in home.json()["html"]
    # The admin (by role) views it, finds it, and the macro lists it for them.
    assert "master key" in _snippets(world.hits("admin", "narwhal"))
    assert "VaultKeys" in world.call("admin", "GET", "/api/v1/wiki/Ops/WebHome").json()["html"]
