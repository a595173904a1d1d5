"""Vector 9: sessions that survive logout and password changes, GET logout, login guessing.

Against a real ``hub serve``, with browsers played by ``requests`` sessions bound to
different loopback addresses (127.0.0.2, 127.0.0.3, ...) so the server sees
different clients, as it would for two people on two machines.
"""

from __future__ import annotations

import os
import re
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hub_support as ROOT
import pytest
import requests
from requests.adapters import HTTPAdapter

PASSWORD = "password123"


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    def __init__(self, url: str, address: str = "127.0.0.1") -> None:
        self.url = url
        self.http = requests.Session()
        self.http.mount("http://", _FromAddress(address))

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, timeout=30, allow_redirects=False)

    def csrf(self) -> str:
        page = self.http.get(self.url + "/login", timeout=30).text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    def login(self, user: str, password: str = PASSWORD) -> requests.Response:
        return self.http.post(self.url + "/login", timeout=30, allow_redirects=False, data={
            "username": user, "password": password, "csrf_token": self.csrf()})

    def logged_in(self) -> bool:
        r = self.get("/")
        assert r.status_code in (200, 302, 303), r.status_code
        return r.status_code == 200

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ROOT.Server, Any]]:
    tmp: Path = tmp_path_factory.mktemp("sessions")
    hub = ROOT.make_hub(tmp)
    env = {**os.environ, "HUB_DATA_DIR": str(tmp / "var"),
           "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test",
           "HUB_DATABASE_URL": ""}
    srv = ROOT.Server(tmp / "var", env)
    # Two web processes: the login throttle's counts are shared through the database.
    srv.start("--no-scheduler", "--no-smtp", "--workers", "2")
    try:
        yield srv, hub
    finally:
        srv.stop()
        hub.engine.dispose()


_next_address = iter(range(2, 250))


def _browser(served: tuple[ROOT.Server, Any]) -> Browser:
    """A browser on a loopback address no other test used (the throttle is per address)."""
    return Browser(served[0].url, f"127.0.0.{next(_next_address)}")


def _user(served: tuple[ROOT.Server, Any], role: str = "staff") -> str:
    name = f"u{uuid.uuid4().hex[:8]}"
    ROOT.add_user(served[1], name, role)
    return name


def _admin(served: tuple[ROOT.Server, Any], method: str, path: str,
           **kw: Any) -> requests.Response:
    token = ROOT.make_token(served[1], "admin")
    return requests.request(method, served[0].url + path, timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kw)


def _copy(browser: Browser) -> Browser:
    """What an attacker holds after copying the victim's cookie."""
    thief = Browser(browser.url, "127.0.0.1")
    thief.http.cookies.update(browser.http.cookies)
    return thief


# -- sessions end server-side -----------------------------------------------------------


def test_a_copied_cookie_stops_working_when_its_owner_logs_out(served: Any) -> None:
    name = _user(served)
    victim = _browser(served)
    assert victim.login(name).status_code == 303
    thief = _copy(victim)
    assert thief.logged_in()
    r = victim.http.post(victim.url + "/logout", timeout=30, allow_redirects=False,
                         data={"csrf_token": victim.csrf()})
    assert r.status_code == 303
    assert not victim.logged_in()
    assert not thief.logged_in()  # the old cookie is dead on the server, not just deleted


def test_get_logout_never_logs_out(served: Any) -> None:
    """An <img src="/logout"> on another site must not end the session."""
    name = _user(served)
    browser = _browser(served)
    assert browser.login(name).status_code == 303
    r = browser.get("/logout")
    assert r.status_code == 200 and 'method="post"' in r.text
    assert browser.logged_in()
    forged = browser.http.post(browser.url + "/logout", timeout=30, allow_redirects=False)
    assert forged.status_code == 400  # no CSRF token: refused
    assert browser.logged_in()


@pytest.mark.parametrize("change", [{"password": "brand-new-pass"}, {"disabled": True}])
def test_a_password_change_or_disabling_ends_every_session_at_once(served: Any,
                                                                  change: dict[str, Any]) -> None:
    name = _user(served)
    browsers = [_browser(served), _browser(served)]
    for b in browsers:
        assert b.login(name).status_code == 303
        assert b.logged_in()
    token = ROOT.make_token(served[1], name)
    r = _admin(served, "PATCH", f"/api/v1/users/{name}", json=change)
    assert r.status_code == 200, r.text
    assert [b.logged_in() for b in browsers] == [False, False]
    api = requests.get(served[0].url + "/api/v1/tickets", timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    if "password" in change:  # the owner logs in again with the new password
        fresh = _browser(served)
        assert fresh.login(name, PASSWORD).status_code == 401
        assert fresh.login(name, change["password"]).status_code == 303
        assert fresh.logged_in()


def test_a_role_change_ends_the_session(served: Any) -> None:
    name = _user(served)
    browser = _browser(served)
    assert browser.login(name).status_code == 303
    assert _admin(served, "PATCH", f"/api/v1/users/{name}",
                  json={"role": "customer"}).status_code == 200
    assert not browser.logged_in()


# -- guessing passwords -------------------------------------------------------------------


def test_failures_from_one_address_slow_that_address_not_other_people(served: Any) -> None:
    victim, bystander = _user(served), _user(served)
    attacker = _browser(served)
    for _ in range(5):
        assert attacker.login(victim, "guess-guess").status_code == 401
    blocked = attacker.login(victim, "guess-guess")
    assert blocked.status_code == 429
    first_wait = int(blocked.headers["Retry-After"])
    assert first_wait >= 1
    # The right password from the attacker's address is held back too...
    assert attacker.login(victim).status_code == 429
    # ...but neither the victim nor anyone else on another machine is locked out.
    assert _browser(served).login(bystander).status_code == 303
    owner = _browser(served)
    assert owner.login(victim).status_code == 303 and owner.logged_in()
    # Delays grow with every further failure from the attacker's address.
    time.sleep(first_wait + 0.2)
    assert attacker.login(victim, "guess-guess").status_code == 401
    again = attacker.login(victim, "guess-guess")
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > first_wait


def test_logging_in_to_ones_own_account_does_not_reset_an_addresses_guessing(
        served: Any) -> None:
    """Spraying guesses at many accounts, with a good login in between, still stops."""
    mine = _user(served)
    attacker = _browser(served)
    statuses: list[int] = []
    for _ in range(5):
        for _ in range(3):
            statuses.append(attacker.login(f"victim{uuid.uuid4().hex[:6]}", "guess").status_code)
        assert attacker.login(mine).status_code in (303, 429)
    assert 429 in statuses
    assert statuses[:3] == [401, 401, 401]


def test_many_addresses_slow_an_account_without_locking_its_owner_out_forever(
        served: Any) -> None:
    victim = _user(served)
    for _ in range(5):  # 5 addresses x 4 failures: 20 failures on one account
        attacker = _browser(served)
        for _ in range(4):
            assert attacker.login(victim, "guess-guess").status_code == 401
    blocked = _browser(served).login(victim)
    assert blocked.status_code == 429
    wait = int(blocked.headers["Retry-After"])
    assert 1 <= wait <= 900  # bounded: slowed, not locked for good
    time.sleep(wait + 0.2)
    assert _browser(served).login(victim).status_code == 303


def test_unknown_user_names_cost_as_much_as_known_ones(served: Any) -> None:
    """Without a dummy hash, an unknown name answers in ~1 ms and a known one in tens
    of ms: that tells an attacker which accounts exist."""
    known = _user(served)

    def timed(user: str) -> float:
        browser = _browser(served)
        form = {"username": user, "password": "wrong-password", "csrf_token": browser.csrf()}
        started = time.perf_counter()
        r = browser.http.post(browser.url + "/login", timeout=30, allow_redirects=False,
                              data=form)
        elapsed = time.perf_counter() - started
        assert r.status_code == 401
        browser.close()
        return elapsed

    known_times = [timed(known) for _ in range(7)]
    unknown_times = [timed(f"nobody{uuid.uuid4().hex[:6]}") for _ in range(7)]
    assert statistics.median(unknown_times) >= 0.3 * statistics.median(known_times), (
        known_times, unknown_times)


# -- vector 4 through the web forms ---------------------------------------------------------


def _form(browser: Browser, path: str, data: dict[str, str]) -> requests.Response:
    page = browser.http.get(browser.url + "/tickets/new", timeout=30).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return browser.http.post(browser.url + path, timeout=30, allow_redirects=False,
                             data={**data, "csrf_token": found.group(1)})


def _tickets_of(served: Any, subject: str) -> list[dict[str, Any]]:
    r = _admin(served, "GET", "/api/v1/tickets", params={"q": subject})
    return [t for t in r.json()["tickets"] if t["subject"] == subject]


@pytest.mark.parametrize(("field", "value"), [
    ("owner", "admin"), ("status", "resolved"), ("priority", "99"), ("due", "2030-01-01"),
    ("admincc", "carol@example.com"), ("requestors", "victim@example.com"),
])
def test_a_customer_posting_privileged_fields_in_the_new_ticket_form_is_refused(
        served: Any, field: str, value: str) -> None:
    customer = _user(served, "customer")
    browser = _browser(served)
    assert browser.login(customer).status_code == 303
    subject = f"form {uuid.uuid4().hex[:8]}"
    r = _form(browser, "/tickets/new", {"queue": "General", "subject": subject, field: value})
    assert r.status_code == 403 and field in r.text
    assert _tickets_of(served, subject) == []
    ok = _form(browser, "/tickets/new", {"queue": "General", "subject": subject,
                                         "cc": "friend@example.com"})
    assert ok.status_code == 303
    [created] = _tickets_of(served, subject)
    assert created["requestors"] == [f"{customer}@example.com"] and created["owner"] is None


def test_a_customer_posting_the_update_form_changes_nothing(served: Any) -> None:
    customer = _user(served, "customer")
    browser = _browser(served)
    assert browser.login(customer).status_code == 303
    subject = f"upd {uuid.uuid4().hex[:8]}"
    assert _form(browser, "/tickets/new", {"queue": "General",
                                           "subject": subject}).status_code == 303
    [ticket] = _tickets_of(served, subject)
    r = _form(browser, f"/tickets/{ticket['id']}/update", {
        "owner": "admin", "priority": "90", "version": str(ticket["version"])})
    assert r.status_code == 403 and "owner" in r.text
    after = _admin(served, "GET", f"/api/v1/tickets/{ticket['id']}").json()
    assert (after["owner"], after["priority"], after["version"]) == (None, 0, ticket["version"])


# -- the admin pages ------------------------------------------------------------------------


def _admin_form(browser: Browser, path: str, data: dict[str, str]) -> requests.Response:
    page = browser.http.get(browser.url + "/admin", timeout=30).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return browser.http.post(browser.url + path, timeout=30, allow_redirects=False,
                             data={**data, "csrf_token": found.group(1)})


def test_the_admin_page_adds_and_disables_users_for_admins_only(served: Any) -> None:
    staff = _user(served)
    staff_browser = _browser(served)
    assert staff_browser.login(staff).status_code == 303
    assert staff_browser.get("/admin").status_code == 403
    home = staff_browser.get("/").text
    assert 'href="/admin"' not in home
    admin = _browser(served)
    assert admin.login("admin", "admin-password").status_code == 303
    assert 'href="/admin"' in admin.get("/").text  # linked from the staff menu
    name = f"w{uuid.uuid4().hex[:8]}"
    r = _admin_form(admin, "/admin/users", {"name": name, "email": f"{name}@example.com",
                                            "role": "staff"})
    assert r.status_code == 303
    page = admin.get("/admin").text
    assert name in page and "no password yet" in page
    assert _browser(served).login(name, "").status_code == 401
    assert _admin_form(admin, f"/admin/users/{name}", {
        "action": "save", "password": "set-on-the-page"}).status_code == 303
    victim = _browser(served)
    assert victim.login(name, "set-on-the-page").status_code == 303 and victim.logged_in()
    assert _admin_form(admin, f"/admin/users/{name}", {"action": "disable"}).status_code == 303
    assert not victim.logged_in()
    forged = staff_browser.http.post(staff_browser.url + f"/admin/users/{name}", timeout=30,
                                     allow_redirects=False, data={"action": "enable"})
    assert forged.status_code in (400, 403)
