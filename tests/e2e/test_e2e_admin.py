"""Administration in Debian's chromium (headless) against a real ``hub serve``.

An admin sets up a second queue with its own team on the web: a queue, a group
with a member and a grant; the grant takes effect at once (the member sees the
queue's ticket, a colleague outside the group does not). A user made without a
password gets one on their page and logs in. Screenshots of every admin page
land in ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_support import Server, add_user, make_hub

from hub.actors import system_actor
from hub.tickets import commands as tc

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 60_000  # generous: two shared cores



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    """One ``hub serve`` for both journeys (they use different names)."""
    tmp = tmp_path_factory.mktemp("e2e-admin")
    hub = make_hub(tmp)
    env = {**os.environ, "HUB_DATA_DIR": str(tmp / "var"), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": ""}
    srv = Server(tmp / "var", env)
    srv.start("--no-scheduler", "--no-smtp")
    yield srv, hub
    srv.stop()
    hub.engine.dispose()




def _person(chromium: Any, url: str, user: str, password: str) -> Any:
    """A page in its own browser context (own cookies), logged in as ``user``."""
    page = chromium.new_context().new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{url}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == f"{url}/", page.inner_text("main")
    return page


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_an_admin_sets_up_a_queue_with_its_own_team_on_the_web(
        server: Any, chromium: Any) -> None:
    srv, hub = server
    add_user(hub, "alice", "staff")
    add_user(hub, "bob", "staff")
    admin = _person(chromium, srv.url, "admin", "admin-password")
    admin.click("nav[aria-label=Main] >> text=Admin")
    admin.wait_for_url(f"{srv.url}/admin")
    _shot(admin, "admin-users")

    admin.click("nav.admin-nav >> text=Queues")
    admin.fill("#nq-name", "Network")
    admin.fill("#nq-desc", "Switches and routers")
    _submit(admin, "#new-queue")
    assert admin.url == f"{srv.url}/admin/queues/Network"
    assert "network@hub.test" in admin.input_value("#q-address")
    _shot(admin, "admin-queue")

    admin.goto(f"{srv.url}/admin/groups")
    admin.fill("#g-name", "netops")
    _submit(admin, "#new-group")
    admin.select_option("section.group select[name=user]", "alice")
    with admin.expect_navigation():
        admin.click("section.group button[value=add]")
    assert "alice" in admin.inner_text("section.group ul.members")
    _shot(admin, "admin-groups")

    admin.goto(f"{srv.url}/admin/grants")
    admin.select_option("#r-scope", "Network")
    admin.select_option("#r-principal", "group:netops")
    admin.select_option("#r-right", "ShowTicket")
    _submit(admin, "#new-grant")
    assert "Granted ShowTicket on Network to group:netops" in admin.inner_text("main")
    grants = admin.inner_text("#grants")
    assert "Network" in grants and "group:netops" in grants and "ShowTicket" in grants
    _shot(admin, "admin-grants")
    admin.goto(f"{srv.url}/admin/queues")
    assert "managed" in admin.inner_text("#queues")
    _shot(admin, "admin-queues")

    ticket = hub.bus.handle(tc.CreateTicket(queue="Network", subject="Core switch flapping",
                                            body="port 48"), system_actor("cli"))["id"]
    member = _person(chromium, srv.url, "alice", "password123")
    seen = member.goto(f"{srv.url}/tickets/{ticket}")
    assert seen is not None and seen.status == 200
    assert "Core switch flapping" in member.inner_text("main")
    outsider = _person(chromium, srv.url, "bob", "password123")
    hidden = outsider.goto(f"{srv.url}/tickets/{ticket}")
    assert hidden is not None and hidden.status == 404
    assert "Core switch flapping" not in outsider.content()
    outsider.goto(f"{srv.url}/tickets?status=")
    assert "Core switch flapping" not in outsider.inner_text("main")
    refused = outsider.goto(f"{srv.url}/admin")
    assert refused is not None and refused.status == 403


def test_a_user_gets_a_password_on_the_web_and_logs_in(server: Any, chromium: Any) -> None:
    srv, _ = server
    admin = _person(chromium, srv.url, "admin", "admin-password")
    admin.goto(f"{srv.url}/admin")
    admin.fill("#nu-name", "nina")
    admin.fill("#nu-display", "Nina Nowak")
    admin.fill("#nu-email", "nina@example.com")
    admin.select_option("#nu-role", "staff")
    _submit(admin, "#new-user")
    assert "cannot log in until a password is set" in admin.inner_text("main")
    assert "no password yet" in admin.inner_text("main table")

    admin.click("main table >> text=nina")
    admin.wait_for_url(f"{srv.url}/admin/users/nina")
    assert "no password yet" in admin.inner_text("#user-state")
    admin.fill("#pw-new", "nina-password-1")
    admin.fill("#pw-repeat", "nina-password-2")
    _submit(admin, "#password-form")
    assert "the two passwords differ" in admin.inner_text("#refusal")
    admin.fill("#pw-new", "nina-password-1")
    admin.fill("#pw-repeat", "nina-password-1")
    _submit(admin, "#password-form")
    assert admin.url == f"{srv.url}/admin/users/nina"
    assert admin.inner_text("#user-state") == "active"
    _shot(admin, "admin-user")

    nina = _person(chromium, srv.url, "nina", "nina-password-1")
    assert "nina" in nina.inner_text("header")
