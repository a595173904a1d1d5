"""Login, logout, throttling, CSRF, cookie flags and API tokens made in the UI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import PASSWORD, Desk, api, build_desk, login

from hub.webkit.throttle import MAX_FAILURES


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    built = build_desk(tmp_path, csrf=True)
    yield built  # the throttle's counts are in this desk's own database
    built.hub.engine.dispose()


def _csrf(body: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    assert found is not None
    return found.group(1).decode()


def _login_with_csrf(desk: Desk, user: str, password: str = PASSWORD) -> tuple[object, int]:
    client = desk.app.test_client()
    token = _csrf(client.get("/login").data)
    response = client.post("/login", data={"username": user, "password": password,
                                           "csrf_token": token})
    return client, response.status_code


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(desk: Desk) -> None:
    client = desk.app.test_client()
    token = _csrf(client.get("/login").data)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": token, "next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"  # no open redirect
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    page = client.get("/").data
    assert client.post("/logout", data={"csrf_token": _csrf(page)}).status_code == 303
    assert client.get("/").status_code == 302


def test_forms_without_csrf_token_are_refused(desk: Desk) -> None:
    client, status = _login_with_csrf(desk, "alice")
    assert status == 303
    refused = client.post(f"/tickets/{desk.ticket}/reply", data={"body": "forged"})  # type: ignore[attr-defined]
    assert refused.status_code == 400
    assert b"forged" not in client.get(f"/tickets/{desk.ticket}").data  # type: ignore[attr-defined]
    bare = desk.app.test_client().post("/login", data={"username": "alice",
                                                       "password": PASSWORD})
    assert bare.status_code == 400


def test_login_is_throttled_after_repeated_failures(desk: Desk) -> None:
    for _ in range(MAX_FAILURES):
        assert _login_with_csrf(desk, "carol", "wrong-password")[1] == 401
    # Now even the right password is refused for a while, with 429.
    assert _login_with_csrf(desk, "carol")[1] == 429
    assert _login_with_csrf(desk, "dave")[1] == 429  # same client address


def test_tokens_are_created_shown_once_and_revoked_in_the_ui(desk: Desk) -> None:
    client, status = _login_with_csrf(desk, "dave")
    assert status == 303
    page = client.get("/account").data  # type: ignore[attr-defined]
    created = client.post("/account/tokens", data={  # type: ignore[attr-defined]
        "name": "laptop", "csrf_token": _csrf(page)})
    assert created.status_code == 201
    secret = re.search(rb'id="new-token">([^<]+)<', created.data)
    assert secret is not None
    desk.tokens["dave2"] = secret.group(1).decode()
    assert api(desk, "dave2", "GET", f"/api/v1/tickets/{desk.other_ticket}").status_code == 200
    token_id = desk.tokens["dave2"].split("_")[1]
    assert secret.group(1) not in client.get("/account").data  # type: ignore[attr-defined]
    revoked = client.post(f"/account/tokens/{token_id}/revoke",  # type: ignore[attr-defined]
                          data={"csrf_token": _csrf(page)})
    assert revoked.status_code == 303
    assert api(desk, "dave2", "GET", f"/api/v1/tickets/{desk.other_ticket}").status_code == 401


def test_pages_carry_a_strict_content_security_policy(desk: Desk) -> None:
    response = login(desk.app, None).get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
