"""The administration API (CONTRACT.md "Administration") against a real ``hub serve``.

Users, groups, queues and grants: admin only (403 for staff and customers, also on
reads), 409 for duplicates, 422 for bad rights, principals, roles and addresses,
404 for unknown names; no answer ever carries a password or token hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from admin_support import Admin, running

RIGHTS = ["SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
          "ShowTicketComments", "ModifyTicket", "OwnTicket", "TakeTicket", "StealTicket",
          "ResolveTicket", "DeleteTicket", "ModifyCustomField", "SeeInternalFields",
          "AdminQueue"]
ENDPOINTS = [("GET", "/api/v1/users", None),
             ("POST", "/api/v1/users", {"name": "mallory", "email": "m@example.com",
                                        "role": "admin"}),
             ("PATCH", "/api/v1/users/admin", {"password": "taken-over-1"}),
             ("GET", "/api/v1/groups", None),
             ("POST", "/api/v1/groups", {"name": "evil"}),
             ("PUT", "/api/v1/groups/ops/members/admin", None),
             ("DELETE", "/api/v1/groups/ops/members/admin", None),
             ("POST", "/api/v1/queues", {"name": "Evil"}),
             ("PATCH", "/api/v1/queues/General", {"customers_may_create": False}),
             ("GET", "/api/v1/grants", None),
             ("POST", "/api/v1/grants", {"right": "AdminQueue", "queue": "*",
                                         "to": "user:x"}),
             ("DELETE", "/api/v1/grants", {"right": "ShowTicket", "queue": "General",
                                           "to": "group:ops"})]


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with running(tmp_path_factory.mktemp("admin-api")) as started:
        started.ok("POST", "/api/v1/groups", json={"name": "ops"}, status=201)
        yield started


def _no_secrets(response_text: str) -> None:
    assert "$argon2" not in response_text
    assert "secret_hash" not in response_text and '"password"' not in response_text
    assert "erin-password" not in response_text


# -- refusals for everyone but admins ------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_staff_and_customers_get_403_from_every_admin_endpoint(
        admin: Admin, method: str, path: str, body: dict[str, object] | None) -> None:
    staff, customer = admin.user("staff"), admin.user("customer")
    before = admin.ok("GET", "/api/v1/users")
    for who in (staff, customer):
        kw = {"json": body} if body is not None else {}
        admin.refused(method, path, who, 403, **kw)
    assert admin.ok("GET", "/api/v1/users")["users"] == before["users"]  # nothing changed
    assert admin.call("GET", "/api/v1/users", None).status_code == 401


# -- users ---------------------------------------------------------------------------


def test_users_are_created_listed_and_changed_without_secrets(admin: Admin) -> None:
    r = admin.call("POST", "/api/v1/users", json={
        "name": "erin", "email": "Erin@Example.com", "role": "staff",
        "password": "erin-password"})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "erin", "email": "erin@example.com", "role": "staff",
                        "display_name": "erin", "disabled": False, "has_password": True,
                        "source": "local", "second_factor": "off",
                        "groups": [], "contacts": {}, "quiet_hours": None}
    _no_secrets(r.text)
    listing = admin.call("GET", "/api/v1/users")
    assert listing.status_code == 200
    _no_secrets(listing.text)
    names = {u["name"]: u for u in listing.json()["users"]}
    assert names["erin"]["role"] == "staff" and "admin" in names
    changed = admin.ok("PATCH", "/api/v1/users/erin", json={"role": "customer",
                                                            "email": "erin@else.example"})
    assert changed["role"] == "customer" and changed["email"] == "erin@else.example"


def test_user_refusals(admin: Admin) -> None:
    body = {"name": "frank", "email": "frank@example.com", "role": "staff"}
    admin.ok("POST", "/api/v1/users", json=body, status=201)
    assert "exists" in admin.refused("POST", "/api/v1/users", "admin", 409, json=body)["error"]
    admin.refused("POST", "/api/v1/users", "admin", 422,
                  json={**body, "name": "frank2", "role": "root"})
    admin.refused("POST", "/api/v1/users", "admin", 422,
                  json={**body, "name": "frank3", "email": "not an address"})
    admin.refused("POST", "/api/v1/users", "admin", 422,
                  json={**body, "name": "frank4", "password": "short"})
    admin.refused("POST", "/api/v1/users", "admin", 400, json={**body, "name": "f5",
                                                               "is_admin": True})
    admin.refused("PATCH", "/api/v1/users/nobody-here", "admin", 404, json={"role": "staff"})
    admin.refused("PATCH", "/api/v1/users/frank", "admin", 422, json={"role": "root"})
    admin.refused("PATCH", "/api/v1/users/frank", "admin", 422, json={"email": "x"})
    admin.refused("PATCH", "/api/v1/users/frank", "admin", 400, json={"disabled": "yes"})
    assert {u["name"] for u in admin.ok("GET", "/api/v1/users")["users"]}.isdisjoint(
        {"frank2", "frank3", "frank4", "f5"})


def test_a_user_added_without_password_cannot_log_in_until_one_is_set(admin: Admin) -> None:
    name = admin.user("staff", password=None)
    assert admin.ok("GET", f"/api/v1/users/{name}")["has_password"] is False
    login = requests.Session()
    page = login.get(admin.url + "/login", timeout=30).text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    for password in ("", "password123"):
        r = login.post(admin.url + "/login", timeout=30, allow_redirects=False, data={
            "username": name, "password": password, "csrf_token": token})
        assert r.status_code == 401
    admin.ok("PATCH", f"/api/v1/users/{name}", json={"password": "now-it-is-set"})
    r = login.post(admin.url + "/login", timeout=30, allow_redirects=False, data={
        "username": name, "password": "now-it-is-set", "csrf_token": token})
    assert r.status_code == 303


def test_disabling_a_user_ends_their_tokens_at_once_and_enabling_does_not_revive_them(
        admin: Admin) -> None:
    name = admin.user("staff")
    assert admin.call("GET", "/api/v1/tickets", name).status_code == 200
    admin.ok("PATCH", f"/api/v1/users/{name}", json={"disabled": True})
    assert admin.call("GET", "/api/v1/tickets", name).status_code == 401
    assert admin.ok("GET", f"/api/v1/users/{name}")["disabled"] is True
    admin.ok("PATCH", f"/api/v1/users/{name}", json={"disabled": False})
    assert admin.call("GET", "/api/v1/tickets", name).status_code == 401  # revoked for good
    admin.token_for(name)
    assert admin.call("GET", "/api/v1/tickets", name).status_code == 200


def test_changing_a_password_ends_the_users_tokens(admin: Admin) -> None:
    name = admin.user("staff")
    assert admin.call("GET", "/api/v1/tickets", name).status_code == 200
    admin.ok("PATCH", f"/api/v1/users/{name}", json={"password": "a-new-password"})
    assert admin.call("GET", "/api/v1/tickets", name).status_code == 401


# -- groups --------------------------------------------------------------------------


def test_groups_and_members(admin: Admin) -> None:
    user = admin.user("staff")
    created = admin.ok("POST", "/api/v1/groups", json={"name": "dba"}, status=201)
    assert created == {"name": "dba", "description": "", "members": []}
    assert admin.ok("PUT", f"/api/v1/groups/dba/members/{user}")["members"] == [user]
    again = admin.ok("PUT", f"/api/v1/groups/dba/members/{user}")  # idempotent
    assert again["members"] == [user]
    groups = {g["name"]: g for g in admin.ok("GET", "/api/v1/groups")["groups"]}
    assert groups["dba"]["members"] == [user]
    assert admin.ok("GET", f"/api/v1/users/{user}")["groups"] == ["dba"]
    assert admin.ok("DELETE", f"/api/v1/groups/dba/members/{user}")["members"] == []
    admin.refused("POST", "/api/v1/groups", "admin", 409, json={"name": "dba"})
    admin.refused("POST", "/api/v1/groups", "admin", 422, json={"name": "Bad Name!"})
    admin.refused("PUT", "/api/v1/groups/no-such-group/members/admin", "admin", 404)
    admin.refused("PUT", "/api/v1/groups/dba/members/no-such-user", "admin", 404)
    admin.refused("POST", "/api/v1/groups", "admin", 400, json={"name": 5})


# -- queues --------------------------------------------------------------------------


def test_queues_are_created_changed_and_listed(admin: Admin) -> None:
    created = admin.ok("POST", "/api/v1/queues", status=201, json={
        "name": "Network", "address": "Network@hub.test",
        "comment_address": "network-comment@hub.test", "customers_may_create": False})
    assert created["name"] == "Network" and created["address"] == "network@hub.test"
    assert created["customers_may_create"] is False and created["lifecycle"] == "default"
    changed = admin.ok("PATCH", "/api/v1/queues/Network", json={"customers_may_create": True,
                                                                "address": "net@hub.test"})
    assert changed["customers_may_create"] is True and changed["address"] == "net@hub.test"
    listed = {q["name"]: q for q in admin.ok("GET", "/api/v1/queues")["queues"]}
    assert listed["Network"]["address"] == "net@hub.test"
    admin.refused("POST", "/api/v1/queues", "admin", 409, json={"name": "Network"})
    admin.refused("POST", "/api/v1/queues", "admin", 409, json={"name": "network"})
    admin.refused("POST", "/api/v1/queues", "admin", 422, json={"name": "1bad name"})
    admin.refused("POST", "/api/v1/queues", "admin", 422, json={"name": "Q2",
                                                                "address": "nope"})
    admin.refused("POST", "/api/v1/queues", "admin", 400, json={
        "name": "Q3", "customers_may_create": "yes"})
    admin.refused("PATCH", "/api/v1/queues/NoSuchQueue", "admin", 404,
                  json={"customers_may_create": True})


def test_customers_list_only_queues_they_may_open_tickets_in(admin: Admin) -> None:
    closed = admin.queue(customers_may_create=False)
    open_ = admin.queue()
    customer = admin.user("customer")
    names = {q["name"] for q in admin.ok("GET", "/api/v1/queues", customer)["queues"]}
    assert open_ in names and closed not in names


# -- grants --------------------------------------------------------------------------


def test_grants_are_listed_created_and_revoked(admin: Admin) -> None:
    queue = admin.queue()
    grant = {"right": "ShowTicket", "queue": queue, "to": "group:ops"}
    assert admin.ok("POST", "/api/v1/grants", json=grant, status=201) == grant
    listed = admin.ok("GET", "/api/v1/grants")["grants"]
    assert grant in listed
    assert admin.ok("GET", f"/api/v1/grants?queue={queue}")["grants"] == [grant]
    admin.refused("POST", "/api/v1/grants", "admin", 409, json=grant)
    everywhere = {"right": "SeeQueue", "queue": "*", "to": "role:cc"}
    admin.ok("POST", "/api/v1/grants", json=everywhere, status=201)
    assert everywhere in admin.ok("GET", "/api/v1/grants")["grants"]
    admin.ok("DELETE", "/api/v1/grants", json=grant)
    admin.call("DELETE", "/api/v1/grants", params=everywhere)
    assert grant not in admin.ok("GET", "/api/v1/grants")["grants"]
    assert everywhere not in admin.ok("GET", "/api/v1/grants")["grants"]
    admin.refused("DELETE", "/api/v1/grants", "admin", 404, json=grant)


@pytest.mark.parametrize("bad", [
    {"right": "BecomeRoot", "to": "group:ops"},
    {"right": "showticket", "to": "group:ops"},
    {"right": "ShowTicket", "to": "ops"},
    {"right": "ShowTicket", "to": "group:no-such-group"},
    {"right": "ShowTicket", "to": "user:no-such-user"},
    {"right": "ShowTicket", "to": "role:watcher"},
    {"right": "ShowTicket", "to": "everyone:all"},
])
def test_bad_rights_and_principals_are_422(admin: Admin, bad: dict[str, str]) -> None:
    queue = admin.queue()
    admin.refused("POST", "/api/v1/grants", "admin", 422, json={"queue": queue, **bad})
    assert admin.ok("GET", f"/api/v1/grants?queue={queue}")["grants"] == []


def test_a_grant_on_an_unknown_queue_is_404_and_every_right_name_is_accepted(
        admin: Admin) -> None:
    admin.refused("POST", "/api/v1/grants", "admin", 404,
                  json={"right": "ShowTicket", "queue": "NoSuchQueue", "to": "group:ops"})
    queue = admin.queue()
    for right in RIGHTS:
        admin.ok("POST", "/api/v1/grants", status=201,
                 json={"right": right, "queue": queue, "to": "group:ops"})
    got = {g["right"] for g in admin.ok("GET", f"/api/v1/grants?queue={queue}")["grants"]}
    assert got == set(RIGHTS)


def test_a_managed_queue_shows_staff_only_what_their_groups_were_granted(admin: Admin) -> None:
    queue = admin.queue()
    member, outsider = admin.user("staff"), admin.user("staff")
    admin.ok("POST", "/api/v1/groups", json={"name": f"g-{queue.lower()}"}, status=201)
    admin.ok("PUT", f"/api/v1/groups/g-{queue.lower()}/members/{member}")
    ticket = admin.ok("POST", "/api/v1/tickets", status=201,
                      json={"queue": queue, "subject": "managed"})
    path = f"/api/v1/tickets/{ticket['id']}"
    assert admin.call("GET", path, outsider).status_code == 200  # not managed yet
    admin.ok("POST", "/api/v1/grants", status=201, json={
        "right": "ShowTicket", "queue": queue, "to": f"group:g-{queue.lower()}"})
    assert admin.call("GET", path, member).status_code == 200
    assert admin.refused("GET", path, outsider, 404)
    listing = admin.ok("GET", f"/api/v1/tickets?queue={queue}", outsider)
    assert listing == {"tickets": [], "total": 0}
    # The member may see, not change: ModifyTicket was not granted.
    assert admin.refused("PATCH", path, member, 403, json={"priority": 5})["field"] == "priority"


def test_malformed_admin_bodies_are_400_never_500(admin: Admin) -> None:
    for method, path in (("POST", "/api/v1/users"), ("POST", "/api/v1/groups"),
                         ("POST", "/api/v1/queues"), ("POST", "/api/v1/grants"),
                         ("PATCH", "/api/v1/users/admin")):
        for raw in (b"", b"[]", b"{", b'{"name": "\\ud800"}', b"[" * 50000):
            r = admin.call(method, path, data=raw,
                           headers={"Content-Type": "application/json"})
            assert r.status_code == 400, (method, path, raw[:20], r.text)
            assert "error" in json.loads(r.text)


def test_a_queue_can_let_outsiders_cc_become_watchers(admin: Admin) -> None:
    queue = admin.queue()
    assert admin.ok("GET", "/api/v1/queues")["queues"][0]["add_cc_watchers"] is False
    changed = admin.ok("PATCH", f"/api/v1/queues/{queue}", json={"add_cc_watchers": True})
    assert changed["add_cc_watchers"] is True
    admin.refused("PATCH", f"/api/v1/queues/{queue}", "admin", 400,
                  json={"add_cc_watchers": "yes"})
