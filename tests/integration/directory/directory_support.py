"""What the directory tests share: a hub pointed at a real slapd, signed in through /login.

(A module of its own, not the conftest, so tests import it by a name no other test
directory uses.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from ldap_support import NETOPS_GROUP, Slapd

from hub import create_app
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.setup import initialise

ADMIN_PASSWORD = "local-admin-pw"


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
