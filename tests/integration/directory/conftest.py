"""A real OpenLDAP (Debian's slapd) and a hub pointed at it through HUB_LDAP_*."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from ldap_support import NETOPS_GROUP, Slapd, start_slapd

from hub import create_app
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.setup import initialise

ADMIN_PASSWORD = "local-admin-pw"


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    server = start_slapd(tmp_path / "ldap")
    try:
        yield server
    finally:
        server.stop()


@dataclass
class DirectoryDesk:
    hub: Hub
    app: Flask
    slapd: Slapd

    def login(self, username: str, password: str) -> tuple[FlaskClient, int, str]:
        """Sign in through the real /login form (CSRF token included)."""
        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        response = client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": found.group(1)})
        return client, response.status_code, response.get_data(as_text=True)


def make_desk(root: Path, slapd: Slapd, **env: str) -> DirectoryDesk:
    settings = load_settings(env={
        "HUB_DATA_DIR": str(root / "var"), "HUB_DATABASE_URL": "",
        "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test",
        **slapd.settings_env(HUB_LDAP_GROUP_MAP=f"{NETOPS_GROUP}=NetOps"), **env})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password=ADMIN_PASSWORD)
    return DirectoryDesk(hub=hub, app=create_app(hub), slapd=slapd)


@pytest.fixture
def desk_factory(tmp_path: Path, slapd: Slapd) -> Iterator[Callable[..., DirectoryDesk]]:
    made: list[DirectoryDesk] = []

    def factory(**env: str) -> DirectoryDesk:
        made.append(make_desk(tmp_path / f"hub{len(made)}", slapd, **env))
        return made[-1]

    yield factory
    for desk in made:
        desk.hub.engine.dispose()


@pytest.fixture
def desk(desk_factory: Callable[..., DirectoryDesk]) -> DirectoryDesk:
    return desk_factory()
