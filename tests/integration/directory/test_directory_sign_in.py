"""Directory sign-in against a real OpenLDAP: roles from groups, accounts made and kept
in step by events, the directory down, and the traps (empty password, filter injection,
a local account of the same name)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa
from directory_support import ADMIN_PASSWORD, DirectoryDesk
from ldap_support import PASSWORDS, SERVICE_PASSWORD

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.actors import system_actor
from hub.db import events


def user_events(desk: DirectoryDesk, name: str) -> list[tuple[str, dict[str, Any], Any]]:
    with desk.hub.engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.data, events.c.meta)
                            .where(events.c.stream_id == f"user-{name}")
                            .order_by(events.c.position))
        return [(r.type, r.data, r.meta) for r in rows]


def info(desk: DirectoryDesk, name: str) -> aq.UserInfo | None:
    with desk.hub.engine.connect() as conn:
        return aq.user_by_name(conn, name)


def groups_of(desk: DirectoryDesk, name: str) -> list[str]:
    with desk.hub.engine.connect() as conn:
        return sorted(g.name for g in aq.list_groups(conn) if name in g.members)


def test_login_page_names_the_directory(desk: DirectoryDesk) -> None:
    page = desk.app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with your directory account (example.org) or a local account" in page


def test_staff_member_signs_in_and_gets_an_account_from_the_entry(desk: DirectoryDesk) -> None:
    client, status, _ = desk.login("alice", PASSWORDS["alice"])
    assert status == 303
    assert client.get("/alerts").status_code == 200  # a staff page
    alice = info(desk, "alice")
    assert alice is not None
    assert (alice.role, alice.email, alice.display_name, alice.source) == (
        "staff", "alice@example.org", "Alice Liddell", "directory")
    assert groups_of(desk, "alice") == ["netops"]  # HUB_LDAP_GROUP_MAP
    created = user_events(desk, "alice")
    assert created[0][0] == "UserCreated" and created[0][1]["source"] == "directory"
    assert created[0][2]["source"] == "directory"
    # The next sign-in changes nothing, so it records nothing.
    assert desk.login("alice", PASSWORDS["alice"])[1] == 303
    assert user_events(desk, "alice") == created


def test_admin_and_customer_roles_come_from_the_groups(desk: DirectoryDesk) -> None:
    admin, status, _ = desk.login("ada", PASSWORDS["ada"])
    assert status == 303 and admin.get("/admin").status_code == 200
    customer, status, _ = desk.login("bob", PASSWORDS["bob"])
    assert status == 303
    bob = info(desk, "bob")
    assert bob is not None and bob.role == "customer"
    assert bob.email == "bob@example.org"  # no mail attribute: name@ the directory's domain
    assert customer.get("/admin").status_code == 403
    assert customer.get("/alerts").status_code in (302, 403)
    # The admin page shows where each account comes from.
    page = admin.get("/admin").get_data(as_text=True)
    assert '<td class="user-source">directory</td>' in page
    assert '<td class="user-source">local</td>' in page


@pytest.mark.parametrize(("username", "password"), [
    ("alice", "not-her-password"),
    ("nobody", "whatever-pw"),
    ("alice", ""),  # an unauthenticated bind would "succeed": refused before any bind
    ("*)(uid=*", PASSWORDS["alice"]),  # filter injection
    ("*", PASSWORDS["alice"]),
    ("alice)(|(uid=*", PASSWORDS["alice"]),
])
def test_wrong_password_unknown_user_and_injection_get_nobody(
        desk: DirectoryDesk, username: str, password: str) -> None:
    client, status, page = desk.login(username, password)
    assert status in (400, 401)
    assert "Wrong user name or password" in page or status == 400
    assert client.get("/").status_code == 302
    with desk.hub.engine.connect() as conn:
        assert [u.name for u in aq.list_users(conn)] == ["admin"]


def test_a_local_account_of_the_same_name_wins(desk: DirectoryDesk) -> None:
    _, status, _ = desk.login("admin", PASSWORDS["admin"])  # the directory's "admin"
    assert status == 401
    _, status, _ = desk.login("admin", ADMIN_PASSWORD)
    assert status == 303
    admin = info(desk, "admin")
    assert admin is not None and admin.source == "local" and admin.email != "dadmin@example.org"


def test_a_locally_disabled_directory_user_cannot_sign_in(desk: DirectoryDesk) -> None:
    assert desk.login("alice", PASSWORDS["alice"])[1] == 303
    desk.hub.bus.handle(ac.ChangeUser(name="alice", disabled=True), system_actor("cli"))
    _, status, _ = desk.login("alice", PASSWORDS["alice"])
    assert status == 401
    alice = info(desk, "alice")
    assert alice is not None and alice.disabled  # the directory does not re-enable her


def test_directory_down_local_admin_still_gets_in(
        desk: DirectoryDesk, caplog: pytest.LogCaptureFixture) -> None:
    assert desk.login("alice", PASSWORDS["alice"])[1] == 303
    desk.slapd.stop()
    caplog.set_level(logging.INFO)
    for _ in range(2):
        _, status, page = desk.login("alice", PASSWORDS["alice"])
        assert status == 503
        assert "directory is unavailable" in page and "Wrong user name" not in page
    _, status, page = desk.login("newcomer", "some-password")
    assert status == 503 and "directory is unavailable" in page
    _, status, _ = desk.login("admin", ADMIN_PASSWORD)
    assert status == 303
    down = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in down]  # one clear line per outage
    assert desk.slapd.url in down[0].getMessage()
    desk.slapd.start()
    assert desk.login("alice", PASSWORDS["alice"])[1] == 303
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_bad_search_account_is_unavailable_and_its_password_never_logged(
        desk_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    desk = desk_factory(HUB_LDAP_BIND_PASSWORD="wrong-" + SERVICE_PASSWORD)
    caplog.set_level(logging.DEBUG)
    _, status, page = desk.login("alice", PASSWORDS["alice"])
    assert status == 503 and "directory is unavailable" in page
    assert "cn=hub-search" in caplog.text
    assert SERVICE_PASSWORD not in caplog.text and PASSWORDS["alice"] not in caplog.text
    assert SERVICE_PASSWORD not in repr(desk.hub.settings)


def test_anonymous_search_finds_the_user(desk_factory: Any) -> None:
    desk = desk_factory(HUB_LDAP_BIND_DN="", HUB_LDAP_BIND_PASSWORD="")
    assert desk.login("alice", PASSWORDS["alice"])[1] == 303
    assert desk.login("alice", "wrong-password")[1] == 401


def test_a_configured_filter_is_used_with_the_name_escaped(desk_factory: Any) -> None:
    desk = desk_factory(HUB_LDAP_USER_FILTER="(&(objectClass=inetOrgPerson)(uid={username}))")
    assert desk.login("ada", PASSWORDS["ada"])[1] == 303
    assert desk.login("*", PASSWORDS["ada"])[1] == 401


def test_user_list_shows_the_source(desk: DirectoryDesk) -> None:
    assert desk.login("bob", PASSWORDS["bob"])[1] == 303
    with desk.hub.engine.connect() as conn:
        sources = {u.name: u.source for u in aq.list_users(conn)}
        logins = aq.last_logins(conn)
    assert sources == {"admin": "local", "bob": "directory"}
    assert "bob" in logins
