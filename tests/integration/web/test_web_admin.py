"""The admin pages: users, groups, queues and grants, for admins only, through the commands.

The Flask test client drives the same app ``hub serve`` runs; CSRF is on, as in
production, so every form is posted with the token its page carried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from web_support import PASSWORD, Desk, api, build_desk

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.actors import system_actor
from hub.tickets import commands as tc
from hub.tickets import queries as tq
from hub.webkit.auth import throttle

PAGES = ["/admin", "/admin/users/alice", "/admin/groups", "/admin/queues",
         "/admin/queues/General", "/admin/grants", "/admin/access"]
FORMS = [("/admin/users", {"name": "forged", "email": "f@example.com", "role": "admin"}),
         ("/admin/users/alice", {"action": "disable"}),
         ("/admin/users/alice/groups", {"group": "ops"}),
         ("/admin/groups", {"name": "forged"}),
         ("/admin/groups/ops/members", {"user": "alice", "action": "add"}),
         ("/admin/queues", {"name": "Forged"}),
         ("/admin/queues/General", {"customers_may_create": "", "address": ""}),
         ("/admin/rights", {"scope": "*", "principal": "user:alice", "right": "AdminQueue",
                            "action": "grant"})]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    built = build_desk(Path(tmp_path_factory.mktemp("admin-pages")), csrf=True)
    built.hub.bus.handle(ac.CreateGroup(name="ops"), system_actor("cli"))
    yield built
    throttle.forget(built.hub.engine)
    built.hub.engine.dispose()


def csrf_of(body: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    assert found is not None
    return found.group(1).decode()


def post(client: FlaskClient, path: str, data: dict[str, str], page: str = "/admin") -> Any:
    token = csrf_of(client.get(page).data)
    return client.post(path, data={**data, "csrf_token": token})


def admin(desk: Desk) -> FlaskClient:
    return desk.client("admin")


def text(response: Any) -> str:
    return str(response.data.decode())


# -- who may see and use the pages ------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_for_admins_staff_and_customers_get_a_styled_403(desk: Desk,
                                                                  path: str) -> None:
    assert admin(desk).get(path).status_code == 200
    for role in ("staff", "owner", "other"):
        refused = desk.client(role).get(path)
        assert refused.status_code == 403, (role, path)
        assert "Not allowed" in text(refused) and "Traceback" not in text(refused)
        assert "alice@example.com" not in text(refused)
    anonymous = desk.client("anonymous").get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[p for p, _ in FORMS])
def test_no_one_but_an_admin_changes_anything_and_never_without_the_csrf_token(
        desk: Desk, path: str, data: dict[str, str]) -> None:
    with desk.hub.engine.connect() as conn:
        events = desk.hub.store.last_position(conn)
    assert admin(desk).post(path, data=data).status_code == 400  # no token
    for role in ("staff", "owner"):
        status = post(desk.client(role), path, data, page="/account").status_code
        assert status == 403, (role, path, status)
    anonymous = desk.client("anonymous").post(path, data=data)
    assert anonymous.status_code in (302, 400)
    with desk.hub.engine.connect() as conn:
        assert desk.hub.store.last_position(conn) == events, path  # nothing recorded


def test_every_admin_form_carries_the_csrf_token(desk: Desk) -> None:
    for path in PAGES:
        body = text(admin(desk).get(path))
        forms = re.findall(r"<form\b[^>]*>(.*?)</form>", body, flags=re.S)
        posts = [f for f, head in zip(forms, re.findall(r"<form\b[^>]*>", body), strict=True)
                 if 'method="post"' in head]
        assert posts, path
        assert all('name="csrf_token"' in f for f in posts), path


# -- users -----------------------------------------------------------------------------


def test_a_user_made_on_the_page_gets_a_password_there_and_logs_in(desk: Desk) -> None:
    client = admin(desk)
    made = post(client, "/admin/users", {"name": "Nina", "email": "nina@example.com",
                                         "role": "staff", "display_name": "Nina N"})
    assert made.status_code == 303
    listing = text(client.get("/admin"))
    assert "nina" in listing and "no password yet" in listing and "Nina N" in listing
    assert login_status(desk, "nina", "") == 401
    page = "/admin/users/nina"
    assert "no password yet: cannot log in" in text(client.get(page))
    mismatch = post(client, page, {"action": "password", "password": "nina-password",
                                   "password_repeat": "other-password"}, page=page)
    assert mismatch.status_code == 422 and "the two passwords differ" in text(mismatch)
    short = post(client, page, {"action": "password", "password": "short",
                                "password_repeat": "short"}, page=page)
    assert short.status_code == 422 and "at least 8" in text(short)
    done = post(client, page, {"action": "password", "password": "nina-password",
                               "password_repeat": "nina-password", "next": page}, page=page)
    assert done.status_code == 303 and done.headers["Location"] == page
    assert login_status(desk, "nina", "nina-password") == 303
    assert ">active<" in text(client.get(page))


def login_status(desk: Desk, name: str, password: str) -> int:
    return signed_in(desk, name, password)[1]


def signed_in(desk: Desk, name: str, password: str = PASSWORD) -> tuple[FlaskClient, int]:
    client = desk.app.test_client()
    token = csrf_of(client.get("/login").data)
    throttle.forget(desk.hub.engine)  # many sign-ins from one test address
    status = client.post("/login", data={"username": name, "password": password,
                                         "csrf_token": token}).status_code
    return client, int(status)


def test_refusals_keep_the_form_and_carry_the_commands_status(desk: Desk) -> None:
    client = admin(desk)
    duplicate = post(client, "/admin/users", {"name": "alice", "email": "x@example.com",
                                              "role": "staff", "display_name": "Kept"})
    assert duplicate.status_code == 409 and "already exists" in text(duplicate)
    assert 'value="Kept"' in text(duplicate)  # the form was not emptied
    bad = post(client, "/admin/users", {"name": "zed", "email": "no address",
                                        "role": "staff"})
    assert bad.status_code == 422 and "not an email address" in text(bad)
    role = post(client, "/admin/users", {"name": "zed", "email": "z@example.com",
                                         "role": "root"})
    assert role.status_code == 422
    with desk.hub.engine.connect() as conn:
        assert aq.user_by_name(conn, "zed") is None
    missing = client.get("/admin/users/nobody-here")
    assert missing.status_code == 404


def test_disable_ends_the_users_sessions_and_tokens_and_enable_lets_them_back(
        desk: Desk) -> None:
    desk.hub.bus.handle(ac.CreateUser(name="vic", email="vic@example.com", role="staff",
                                      password=PASSWORD), system_actor("cli"))
    victim, status = signed_in(desk, "vic")
    assert status == 303
    token = str(desk.hub.bus.handle(ac.CreateToken(user="vic", name="t"),
                                    system_actor("cli"))["token"])
    desk.tokens["vic"] = token
    assert victim.get("/").status_code == 200
    assert api(desk, "vic", "GET", "/api/v1/tickets").status_code == 200
    client = admin(desk)
    assert post(client, "/admin/users/vic", {"action": "disable"}).status_code == 303
    assert victim.get("/").status_code == 302  # logged out at once
    assert api(desk, "vic", "GET", "/api/v1/tickets").status_code == 401
    assert "disabled" in text(client.get("/admin/users/vic"))
    assert post(client, "/admin/users/vic", {"action": "enable"}).status_code == 303
    assert login_status(desk, "vic", PASSWORD) == 303
    assert api(desk, "vic", "GET", "/api/v1/tickets").status_code == 401  # stays revoked
    changed = post(client, "/admin/users/vic", {"action": "save", "role": "customer",
                                                "email": "vic@else.example"})
    assert changed.status_code == 303
    with desk.hub.engine.connect() as conn:
        info = aq.user_by_name(conn, "vic")
    assert info is not None and (info.role, info.email) == ("customer", "vic@else.example")


# -- groups ----------------------------------------------------------------------------


def test_groups_are_created_and_members_added_and_removed(desk: Desk) -> None:
    client = admin(desk)
    page = "/admin/groups"
    assert post(client, page, {"name": "DBA", "description": "Databases"},
                page=page).status_code == 303
    assert post(client, page, {"name": "dba"}, page=page).status_code == 409
    assert post(client, page, {"name": "bad name!"}, page=page).status_code == 422
    added = post(client, "/admin/groups/dba/members", {"user": "alice", "action": "add"},
                 page=page)
    assert added.status_code == 303
    assert post(client, "/admin/groups/dba/members", {"user": "ghost", "action": "add"},
                page=page).status_code == 404
    with desk.hub.engine.connect() as conn:
        assert "dba" in aq.groups_of(conn, "alice")
    body = text(client.get(page))
    assert "Databases" in body and "Remove<span" in body
    joined = post(client, "/admin/users/carol/groups", {"group": "dba",
                                                       "next": "/admin/users/carol"},
                  page="/admin/users/carol")
    assert joined.status_code == 303 and joined.headers["Location"] == "/admin/users/carol"
    assert post(client, "/admin/groups/dba/members", {"user": "alice", "action": "remove"},
                page=page).status_code == 303
    with desk.hub.engine.connect() as conn:
        members = next(x.members for x in aq.list_groups(conn) if x.name == "dba")
    assert members == ("carol",)


# -- queues ----------------------------------------------------------------------------


def test_a_queue_is_created_with_its_addresses_and_edited(desk: Desk) -> None:
    client = admin(desk)
    page = "/admin/queues"
    made = post(client, page, {"name": "Storage", "description": "SAN and NAS",
                               "mail": "default", "lifecycle": "default",
                               "customers_may_create": "1"}, page=page)
    assert made.status_code == 303 and made.headers["Location"] == "/admin/queues/Storage"
    with desk.hub.engine.connect() as conn:
        info = tq.find_queue(conn, "Storage")
    assert info is not None
    assert (info.address, info.comment_address) == ("storage@hub.test",
                                                    "storage-comment@hub.test")
    assert post(client, page, {"name": "storage", "lifecycle": "default"},
                page=page).status_code == 409
    assert post(client, page, {"name": "1bad", "lifecycle": "default"},
                page=page).status_code == 422
    bad_address = post(client, page, {"name": "Mailless", "mail": "typed",
                                      "address": "not-an-address", "lifecycle": "default"},
                       page=page)
    assert bad_address.status_code == 422 and "not an email address" in text(bad_address)
    assert post(client, page, {"name": "Mailless", "mail": "typed", "lifecycle": "default"},
                page=page).status_code == 303
    with desk.hub.engine.connect() as conn:
        mailless = tq.find_queue(conn, "Mailless")
    assert mailless is not None and mailless.address == "" and \
        not mailless.spec.get("customers_may_create", True)
    bad_json = post(client, page, {"name": "Custom", "lifecycle": "custom",
                                   "lifecycle_json": "{not json"}, page=page)
    assert bad_json.status_code == 422 and "not valid JSON" in text(bad_json)
    edit = "/admin/queues/Storage"
    saved = post(client, edit, {"description": "Storage team", "address": "san@hub.test",
                                "comment_address": "", "lifecycle": "default",
                                "reopen_policy": "new_ticket", "has_add_cc_watchers": "1",
                                "add_cc_watchers": "1", "has_disabled": "1"}, page=edit)
    assert saved.status_code == 303
    with desk.hub.engine.connect() as conn:
        info = tq.find_queue(conn, "Storage")
    assert info is not None and info.address == "san@hub.test"
    assert info.spec["reopen_policy"] == "new_ticket" and info.spec["add_cc_watchers"]
    assert info.spec["customers_may_create"] is False  # the box was not ticked
    queue_page = text(client.get(edit))
    assert 'value="new_ticket" selected' in queue_page and "san@hub.test" in queue_page
    lifecycle = ('{"name": "simple", "initial": ["new"], "active": ["open"], '
                 '"inactive": ["resolved"], "transitions": {"new": ["open", "resolved"], '
                 '"open": ["resolved"], "resolved": ["open"]}}')
    custom = post(client, edit, {"address": "san@hub.test", "lifecycle": "custom",
                                 "lifecycle_json": lifecycle}, page=edit)
    assert custom.status_code == 303
    with desk.hub.engine.connect() as conn:
        assert tq.lifecycle_of(conn, "Storage").name == "simple"
    assert ">simple<" in text(client.get("/admin/queues"))  # offered for other queues
    broken = post(client, edit, {"lifecycle": "custom", "lifecycle_json": '{"name": "x"}'},
                  page=edit)
    assert broken.status_code == 422


# -- grants ----------------------------------------------------------------------------


def test_grants_are_made_refused_and_revoked_with_rt_right_names(desk: Desk) -> None:
    client = admin(desk)
    page = "/admin/grants"
    desk.hub.bus.handle(tc.CreateQueue(name="Secret"), system_actor("cli"))
    body = text(client.get(page))
    assert all(f'<option value="{r}"' in body for r in aq.QUEUE_RIGHTS)
    assert '<option value="*"' in body and '<option value="group:ops"' in body
    assert '<option value="role:requestors"' in body and '<option value="user:alice"' in body
    grant = {"scope": "Secret", "principal": "group:ops", "right": "ShowTicket",
             "action": "grant"}
    assert post(client, "/admin/rights", grant, page=page).status_code == 303
    again = post(client, "/admin/rights", grant, page=page)
    assert again.status_code == 409 and "already holds ShowTicket on Secret" in text(again)
    assert post(client, "/admin/rights", {**grant, "right": "Fly"},
                page=page).status_code == 422
    assert post(client, "/admin/rights", {**grant, "principal": "group:nobody"},
                page=page).status_code == 422
    assert post(client, "/admin/rights", {**grant, "scope": "NoSuchQueue"},
                page=page).status_code == 404
    shown = text(client.get(page + "?queue=Secret"))
    assert "group:ops" in shown and "Secret (managed)" in shown
    assert "managed" in text(client.get("/admin/queues/Secret")).lower()
    revoke = {**grant, "action": "revoke"}
    assert post(client, "/admin/rights", revoke, page=page).status_code == 303
    assert post(client, "/admin/rights", revoke, page=page).status_code == 404
    with desk.hub.engine.connect() as conn:
        assert aq.grants_in(conn, ["secret"]) == []


def test_a_queue_admin_sees_and_changes_only_their_queue(desk: Desk) -> None:
    desk.hub.bus.handle(tc.CreateQueue(name="TeamQ"), system_actor("cli"))
    desk.hub.bus.handle(ac.GrantRight(scope="TeamQ", principal="user:alice",
                                      right="AdminQueue"), system_actor("cli"))
    lead = desk.client("staff")  # alice
    page = text(lead.get("/admin/grants"))
    assert '<option value="TeamQ"' in page
    assert '<option value="General"' not in page and '<option value="*"' not in page
    assert 'aria-label="Administration"' not in page  # no admin sub-navigation for her
    granted = post(lead, "/admin/rights", {"scope": "TeamQ", "principal": "user:dave",
                                           "right": "CreateTicket", "action": "grant"},
                   page="/admin/grants")
    assert granted.status_code == 303
    elsewhere = post(lead, "/admin/rights", {"scope": "General", "principal": "user:dave",
                                             "right": "CreateTicket", "action": "grant"},
                     page="/admin/grants")
    assert elsewhere.status_code == 403
    assert lead.get("/admin/queues/TeamQ").status_code == 403  # queue settings: admins


def test_the_admin_sub_navigation_links_every_section(desk: Desk) -> None:
    body = text(admin(desk).get("/admin"))
    nav = body.split('aria-label="Administration"')[1].split("</nav>")[0]
    for href in ("/admin", "/admin/groups", "/admin/queues", "/admin/grants"):
        assert f'href="{href}"' in nav
    assert 'href="/admin/mail/templates"' in nav  # served by mail: linked because it is there
    assert 'aria-current="page"' in nav
