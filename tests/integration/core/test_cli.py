"""The ``hub`` command line, run as a real subprocess against a data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from hub.accounts.auth import authenticate_password, authenticate_token
from hub.accounts.secrets import hash_token
from hub.bootstrap import Hub
from hub.db import credentials, events, make_engine

TIMEOUT = 120


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_DATABASE_URL="", HUB_SECRET_KEY="test-secret",
               HUB_MAIL_DOMAIN="hub.test", **extra)
    return env


def hub_cli(data_dir: Path, *args: str, stdin: str | None = None,
            **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], input=stdin,
                          env=cli_env(data_dir, **extra), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout}\n{done.stderr}"
    return done.stdout


def db_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'hub.db').resolve()}"


def query(data_dir: Path, statement: sa.Executable) -> list[sa.Row[object]]:
    engine = make_engine(db_url(data_dir))
    try:
        with engine.connect() as conn:
            return list(conn.execute(statement))
    finally:
        engine.dispose()


def event_count(data_dir: Path) -> int:
    return int(query(data_dir, sa.select(sa.func.count()).select_from(events))[0][0])


def password_ok(data_dir: Path, user: str, password: str) -> bool:
    engine = make_engine(db_url(data_dir))
    try:
        with engine.connect() as conn:
            return authenticate_password(conn, user, password) is not None
    finally:
        engine.dispose()


def token_actor(data_dir: Path, token: str) -> str | None:
    engine = make_engine(db_url(data_dir))
    try:
        with engine.connect() as conn:
            actor = authenticate_token(conn, token)
            return None if actor is None else actor.name
    finally:
        engine.dispose()


def test_init_is_idempotent_and_prints_a_generated_password_once(tmp_path: Path) -> None:
    data = tmp_path / "var"
    first = ok(hub_cli(data, "init"))
    assert "created queue General" in first
    line = next(ln for ln in first.splitlines() if "created user admin with password:" in ln)
    password = line.split("password:", 1)[1].strip()
    assert len(password) >= 12
    assert password_ok(data, "admin", password)
    assert not password_ok(data, "admin", password + "x")
    queues = query(data, sa.text("SELECT name, address, comment_address FROM queues"))
    assert [tuple(r) for r in queues] == [("General", "general@hub.test",
                                           "general-comment@hub.test")]
    count = event_count(data)

    second = ok(hub_cli(data, "init"))
    assert "created" not in second
    assert password not in second and "password" not in second.lower()
    assert "database ready" in second
    assert event_count(data) == count
    assert password_ok(data, "admin", password)  # the admin's password did not change
    assert len(query(data, sa.text("SELECT name FROM users WHERE role = 'admin'"))) == 1


def test_init_honours_hub_admin_password(tmp_path: Path) -> None:
    data = tmp_path / "var"
    out = ok(hub_cli(data, "init", HUB_ADMIN_PASSWORD="chosen-secret-42"))
    assert "chosen-secret-42" not in out
    assert "HUB_ADMIN_PASSWORD" in out
    assert password_ok(data, "admin", "chosen-secret-42")
    # A later init with another value changes nothing: the admin exists already.
    again = ok(hub_cli(data, "init", HUB_ADMIN_PASSWORD="other-password-99"))
    assert "created" not in again
    assert password_ok(data, "admin", "chosen-secret-42")
    assert not password_ok(data, "admin", "other-password-99")


def test_user_add_with_password_from_stdin(tmp_path: Path) -> None:
    data = tmp_path / "var"
    ok(hub_cli(data, "init", HUB_ADMIN_PASSWORD="admin-password"))
    out = ok(hub_cli(data, "user", "add", "sam", "--email", "Sam@Example.com", "--role", "staff",
                     "--password-stdin", stdin="s3cret-stdin-pw\n"))
    assert "sam" in out and "s3cret-stdin-pw" not in out
    rows = query(data, sa.text("SELECT name, email, role FROM users WHERE name = 'sam'"))
    assert [tuple(r) for r in rows] == [("sam", "sam@example.com", "staff")]
    assert password_ok(data, "sam", "s3cret-stdin-pw")
    assert not password_ok(data, "sam", "s3cret-stdin-pw\n")

    # Without --password-stdin the user exists but cannot log in with a password.
    ok(hub_cli(data, "user", "add", "carl", "--email", "carl@example.com", "--role", "customer"))
    assert not password_ok(data, "carl", "")
    assert query(data, sa.text("SELECT id FROM credentials WHERE username = 'carl'")) == []

    count = event_count(data)
    short = hub_cli(data, "user", "add", "tess", "--email", "t@example.com", "--role", "staff",
                    "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "at least 8" in short.stderr
    twice = hub_cli(data, "user", "add", "sam", "--email", "s2@example.com", "--role", "staff")
    assert twice.returncode != 0 and "already exists" in twice.stderr
    role = hub_cli(data, "user", "add", "eve", "--email", "e@example.com", "--role", "root")
    assert role.returncode != 0
    assert event_count(data) == count


def test_token_create_prints_the_token_last_and_stores_only_its_hash(tmp_path: Path) -> None:
    data = tmp_path / "var"
    ok(hub_cli(data, "init", HUB_ADMIN_PASSWORD="admin-password"))
    ok(hub_cli(data, "user", "add", "sam", "--email", "sam@example.com", "--role", "staff"))
    out = ok(hub_cli(data, "token", "create", "deploy", "--user", "sam"))
    lines = out.rstrip("\n").splitlines()
    token = lines[-1]
    assert token == token.strip() and " " not in token and len(token) > 32
    assert all(token not in ln for ln in lines[:-1])
    assert token_actor(data, token) == "sam"
    assert token_actor(data, token[:-1] + ("A" if token[-1] != "A" else "B")) is None

    admin_out = ok(hub_cli(data, "token", "create", "ops"))  # --user defaults to admin
    assert token_actor(data, admin_out.rstrip("\n").splitlines()[-1]) == "admin"

    # Hashed at rest: the clear token (or its secret part) is nowhere in the database files.
    secret = token.split("_", 2)[2]
    assert len(secret) >= 32
    files = [p for p in data.iterdir() if p.name.startswith("hub.db")]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert token.encode() not in raw, path
        assert secret.encode() not in raw, path
    hashes = query(data, sa.select(credentials.c.secret_hash).where(credentials.c.kind == "token"))
    assert hash_token(token) in {r.secret_hash for r in hashes}
    for row in query(data, sa.select(events.c.data, events.c.meta)):
        assert secret not in repr(row.data) and secret not in repr(row.meta)

    unknown = hub_cli(data, "token", "create", "x", "--user", "ghost")
    assert unknown.returncode != 0 and "not found" in unknown.stderr


def test_user_and_token_made_by_the_cli_work_at_once_on_a_running_server(
        server: tuple[Any, Hub]) -> None:
    srv, hub = server
    url: str = srv.url
    data = hub.settings.data_dir
    denied = requests.get(f"{url}/api/v1/tickets", timeout=10,
                          headers={"Authorization": "Bearer hub_nope_nope"})
    assert denied.status_code == 401

    ok(hub_cli(data, "user", "add", "sam", "--email", "sam@example.com", "--role", "staff",
               "--password-stdin", stdin="password123\n"))
    token = ok(hub_cli(data, "token", "create", "live", "--user", "sam")).splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    listed = requests.get(f"{url}/api/v1/tickets", headers=auth, timeout=10)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0
    created = requests.post(f"{url}/api/v1/tickets", headers=auth, timeout=10,
                            json={"queue": "General", "subject": "made with a CLI token"})
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    history = requests.get(f"{url}/api/v1/tickets/{ticket_id}/history", headers=auth,
                           timeout=10)
    assert history.status_code == 200
    assert history.json()[0]["actor"] == "sam"

    ok(hub_cli(data, "token", "revoke", token.split("_", 2)[1], "--user", "sam"))
    revoked = requests.get(f"{url}/api/v1/tickets", headers=auth, timeout=10)
    assert revoked.status_code == 401
