"""Test helpers shared by every test folder: a migrated hub, users, tokens, a real server.

Kept out of conftest.py so any test module can import it (``import hub_support``);
conftest.py turns these helpers into fixtures.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.setup import initialise

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The read-only ``shared/`` folder beside the checkout (CI puts it there too)."""
    env = os.environ.get("HUB_SHARED_DIR")
    return Path(env) if env else ROOT.parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_url() -> str:
    url = os.environ.get("HUB_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HUB_TEST_POSTGRES_URL unset: `make test` starts PostgreSQL")
        pytest.skip("PostgreSQL not configured: `make test` sets HUB_TEST_POSTGRES_URL")
    return url


def fresh_postgres_db() -> str:
    """A new empty database per test, so tests never see each other's events."""
    base = postgres_url()
    name = f"hub_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def make_hub(tmp_path: Path, url: str | None = None) -> Hub:
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"),
                                  "HUB_DATABASE_URL": url or "",
                                  "HUB_SECRET_KEY": "test-secret",
                                  "HUB_MAIL_DOMAIN": "hub.test"})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="admin-password")
    return hub


def add_user(hub: Hub, name: str, role: str, email: str | None = None,
             password: str = "password123") -> None:
    hub.bus.handle(ac.CreateUser(name=name, email=email or f"{name}@example.com", role=role,
                                 password=password), system_actor("cli"))


def make_token(hub: Hub, user: str) -> str:
    result = hub.bus.handle(ac.CreateToken(user=user, name="test"), system_actor("cli"))
    return str(result["token"])


class Server:
    """A real ``hub serve`` process on 127.0.0.1 with its own data dir."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.smtp_port = free_port()
        self.data_dir = data_dir
        self.env = env
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        log = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--http", f"127.0.0.1:{self.port}",
             "--smtp", f"127.0.0.1:{self.smtp_port}", *extra],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # workers still booting
                time.sleep(0.1)
            if self.proc.poll() is not None:
                break
        raise RuntimeError("hub serve did not start: "
                           + (self.data_dir / "serve.log").read_text()[-3000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
