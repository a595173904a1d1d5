"""The second factor through the real /login form (Flask client, CSRF on) and the CLI.

Time is injected by replacing ``hub.accounts.totp.now``; codes are computed from
the secret the enrolment printed, as an authenticator app would.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.testing import FlaskClient

from hub import create_app
from hub.accounts import commands as ac
from hub.accounts import totp
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.cli import main
from hub.config import load_settings
from hub.db import events, make_engine
from hub.setup import initialise

PASSWORD = "password123"
T = 1_800_000_000.0 + 7  # inside a step, far from a boundary


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    now = {"t": T}
    monkeypatch.setattr(totp, "now", lambda: now["t"])
    return now


def _hub(root: Path, **env: str) -> Hub:
    settings = load_settings(env={"HUB_DATA_DIR": str(root / "var"), "HUB_DATABASE_URL": "",
                                  "HUB_SECRET_KEY": "test-secret",
                                  "HUB_MAIL_DOMAIN": "hub.test", **env})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password=PASSWORD)
    for name, role in (("alice", "staff"), ("carol", "customer")):
        hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                     password=PASSWORD), system_actor("cli"))
    return hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = _hub(tmp_path)
    yield h
    h.engine.dispose()


def _csrf(body: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    assert found is not None
    return found.group(1).decode()


def _password(client: FlaskClient, user: str, password: str = PASSWORD) -> Any:
    token = _csrf(client.get("/login").data)
    return client.post("/login", data={"username": user, "password": password,
                                       "csrf_token": token, "next": "/account"})


def _code(client: FlaskClient, code: str) -> Any:
    page = client.get("/login/code")
    assert page.status_code == 200, page.data[:300]
    return client.post("/login/code", data={"code": code, "csrf_token": _csrf(page.data)})


def _enrol(hub: Hub, user: str = "alice") -> dict[str, Any]:
    setup = hub.bus.handle(ac.StartTotpEnrolment(name=user), system_actor("cli"))
    hub.bus.handle(ac.ConfirmTotpEnrolment(name=user, code=totp.code_at(setup["secret"],
                                                                        totp.now())),
                   system_actor("cli"))
    return dict(setup)


def _client(hub: Hub) -> FlaskClient:
    return create_app(hub).test_client()


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def test_right_code_opens_the_session_and_a_used_one_is_refused(
        hub: Hub, clock: dict[str, float]) -> None:
    secret = _enrol(hub)["secret"]
    clock["t"] += 30  # the confirming code's step is used; the next step's code is fresh
    client = _client(hub)
    step = _password(client, "alice")
    assert step.status_code == 303 and step.headers["Location"].endswith("/login/code")
    assert not _signed_in(client)  # the password alone opens no session
    assert b"Sign-in code" in client.get("/login/code").data
    code = totp.code_at(secret, clock["t"])
    done = _code(client, code)
    assert done.status_code == 303 and done.headers["Location"] == "/account"
    assert _signed_in(client)

    again = _client(hub)  # the same code again, within its step: a replay
    _password(again, "alice")
    refused = _code(again, code)
    assert refused.status_code == 401 and b"used already" in refused.data
    assert not _signed_in(again)


def test_wrong_code_is_refused_and_codes_are_throttled(hub: Hub, clock: dict[str, float]) -> None:
    secret = _enrol(hub)["secret"]
    clock["t"] += 60
    client = _client(hub)
    _password(client, "alice")
    right = totp.code_at(secret, clock["t"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _code(client, wrong).status_code == 401
    throttled = _code(client, right)  # even the right code waits now
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert not _signed_in(client)
    other = _client(hub)  # another browser, same user: the count is per user
    _password(other, "alice")
    assert _code(other, right).status_code == 429


def test_drift_of_one_step_passes_and_two_steps_fail(hub: Hub, clock: dict[str, float]) -> None:
    secret = _enrol(hub)["secret"]
    clock["t"] += 300
    for offset, ok in ((-2, False), (2, False), (-1, True), (1, True)):
        client = _client(hub)
        _password(client, "alice")
        clock["t"] += 120  # a fresh step each round so no code counts as replayed
        status = _code(client, totp.code_at(secret, clock["t"] + offset * 30)).status_code
        assert status == (303 if ok else 401), offset


def test_recovery_code_works_once(hub: Hub, clock: dict[str, float]) -> None:
    codes = _enrol(hub)["recovery_codes"]
    client = _client(hub)
    _password(client, "alice")
    used = _code(client, codes[3].upper())
    assert used.status_code == 303
    page = client.get("/account")
    assert page.status_code == 200 and b"recovery code; 9 left" in page.data
    again = _client(hub)
    _password(again, "alice")
    assert _code(again, codes[3]).status_code == 401
    with hub.engine.connect() as conn:
        types = conn.execute(sa.select(events.c.type).where(
            events.c.stream_id == "user-alice")).scalars().all()
    assert "RecoveryCodeUsed" in types and "SecondFactorEnrolled" in types


def test_the_half_signed_in_state_is_no_session_and_expires(
        hub: Hub, clock: dict[str, float], monkeypatch: pytest.MonkeyPatch) -> None:
    secret = _enrol(hub)["secret"]
    client = _client(hub)
    assert client.get("/login/code").status_code == 303  # nothing held: back to /login
    _password(client, "alice")
    assert client.get("/").status_code == 302  # no desk before the code
    from hub.webkit import second_factor

    monkeypatch.setattr(second_factor, "HOLD_SECONDS", -1)  # the five minutes are over
    clock["t"] += 30
    late = client.post("/login/code", data={"code": totp.code_at(secret, clock["t"]),
                                            "csrf_token": _csrf(client.get("/login").data)})
    assert late.status_code == 303 and late.headers["Location"].endswith("/login")
    assert not _signed_in(client)


def test_users_without_a_factor_and_customers_sign_in_as_before(hub: Hub) -> None:
    for user in ("carol", "alice"):
        client = _client(hub)
        response = _password(client, user)
        assert response.status_code == 303 and response.headers["Location"] == "/account"
        assert _signed_in(client)


def test_required_totp_blocks_staff_until_enrolled_and_spares_customers(
        tmp_path: Path, clock: dict[str, float]) -> None:
    hub = _hub(tmp_path, HUB_REQUIRE_TOTP_FOR_STAFF="1")
    try:
        customer = _client(hub)
        assert _password(customer, "carol").headers["Location"] == "/account"
        client = _client(hub)
        step = _password(client, "alice")
        assert step.headers["Location"].endswith("/login/enrol")
        assert not _signed_in(client)
        page = client.get("/login/enrol")
        assert page.headers["Cache-Control"] == "no-store"
        secret = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', page.data)
        assert secret is not None and b"otpauth://totp/OpsHub:alice" in page.data
        key = secret.group(1).decode().replace(" ", "")
        token = _csrf(page.data)
        assert client.post("/login/enrol", data={"code": "000000", "csrf_token": token}
                           ).status_code == 422
        assert not _signed_in(client)
        done = client.post("/login/enrol", data={"code": totp.code_at(key, clock["t"]),
                                                 "csrf_token": token})
        assert done.status_code == 303 and _signed_in(client)
        later = _client(hub)  # from now on the code step applies
        assert _password(later, "alice").headers["Location"].endswith("/login/code")
    finally:
        hub.engine.dispose()


def test_no_secret_in_events_or_logs(hub: Hub, clock: dict[str, float],
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    setup = _enrol(hub)
    client = _client(hub)
    _password(client, "alice")
    clock["t"] += 30
    code = totp.code_at(setup["secret"], clock["t"])
    assert _code(client, code).status_code == 303
    with hub.engine.connect() as conn:
        stored = " ".join(str(r) for r in conn.execute(sa.select(events)))
        box = conn.execute(sa.text("SELECT secret_box FROM totp_factors")).scalar_one()
    assert "SecondFactorEnrolled" in stored
    for secret in (setup["secret"], *setup["recovery_codes"]):
        assert secret not in stored and secret not in caplog.text and secret not in box
    assert code not in caplog.text


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    for key, value in {"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "test-secret",
                       "HUB_MAIL_DOMAIN": "hub.test", "USER": "ops-person"}.items():
        monkeypatch.setenv(key, value)
    h = _hub(tmp_path)
    yield h
    h.engine.dispose()


def test_cli_enrols_confirms_reports_and_removes(shell: Hub, clock: dict[str, float]) -> None:
    run = CliRunner().invoke
    enrolled = run(main, ["user", "totp", "alice"])
    assert enrolled.exit_code == 0, enrolled.output
    uri = re.search(r"otpauth://totp/OpsHub:alice\?\S+", enrolled.stdout)
    assert uri is not None and "confirm with `hub user totp alice --confirm CODE`" in (
        enrolled.stdout)
    secret = re.search(r"secret=([A-Z2-7]+)", uri.group(0))
    assert secret is not None
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", enrolled.stdout)
    assert len(codes) == 10
    assert "pending since" in run(main, ["user", "totp", "alice", "--status"]).stdout
    client = _client(shell)  # pending: still the password alone
    assert _password(client, "alice").headers["Location"] == "/account"

    bad = run(main, ["user", "totp", "alice", "--confirm", "000000"])
    assert bad.exit_code == 1 and "stays pending" in bad.stderr
    good = run(main, ["user", "totp", "alice", "--confirm",
                      totp.code_at(secret.group(1), clock["t"])])
    assert good.exit_code == 0 and "is on" in good.stdout, good.output
    assert "TOTP on since" in run(main, ["user", "totp", "alice", "--status"]).stdout
    assert _password(_client(shell), "alice").headers["Location"].endswith("/login/code")

    removed = run(main, ["user", "totp", "alice", "--remove"])
    assert removed.exit_code == 0 and "removed" in removed.stdout
    assert "no second factor" in run(main, ["user", "totp", "alice", "--status"]).stdout
    assert _password(_client(shell), "alice").headers["Location"] == "/account"
    nobody = run(main, ["user", "totp", "nobody"])
    assert nobody.exit_code == 1 and "no user" in nobody.stderr


def test_self_service_enrol_and_remove_on_the_account_page(
        hub: Hub, clock: dict[str, float]) -> None:
    client = _client(hub)
    _password(client, "carol")
    page = client.get("/account")
    assert b"Set up a second factor" in page.data
    setup = client.post("/account/second-factor", data={"csrf_token": _csrf(page.data)})
    assert setup.status_code == 200 and setup.headers["Cache-Control"] == "no-store"
    found = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', setup.data)
    assert found is not None
    key = found.group(1).decode().replace(" ", "")
    token = _csrf(setup.data)
    confirmed = client.post("/account/second-factor/confirm",
                            data={"code": totp.code_at(key, clock["t"]), "csrf_token": token})
    assert confirmed.status_code == 303
    assert b"On (TOTP)" in client.get("/account").data
    admin = _client(hub)
    _password(admin, "admin")
    assert b'class="totp-on">TOTP' in admin.get("/admin").data
    refused = client.post("/account/second-factor/remove", data={"code": "000000",
                                                                  "csrf_token": token})
    assert refused.status_code == 303 and b"On (TOTP)" in client.get("/account").data
    clock["t"] += 30
    client.post("/account/second-factor/remove", data={"code": totp.code_at(key, clock["t"]),
                                                       "csrf_token": token})
    assert b"Off: the password alone" in client.get("/account").data


def test_outsiders_get_nothing_from_the_second_factor_pages(hub: Hub) -> None:
    anonymous = _client(hub)
    for path in ("/login/code", "/login/enrol"):
        assert anonymous.get(path).status_code == 303  # back to /login, nothing shown
    token = _csrf(anonymous.get("/login").data)
    for path in ("/account/second-factor", "/account/second-factor/confirm",
                 "/account/second-factor/remove"):
        response = anonymous.post(path, data={"csrf_token": token, "code": "123456"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    with hub.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM totp_factors")).scalar_one() == 0
