"""Helpers for the wiki integration tests: users, tokens and a Flask test client."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub import create_app
from hub.accounts import commands as ac
from hub.accounts.commands import open_session
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.db import WRITE

USERS = (("alice", "staff"), ("bob", "staff"), ("carl", "customer"), ("dora", "customer"))


class WikiEnv:
    """A hub with staff alice/bob, customers carl/dora, and the admin; tokens for all."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.app = create_app(hub)
        self.client: FlaskClient = self.app.test_client()
        self.tokens: dict[str, str] = {}
        for name, role in USERS:
            hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role),
                           system_actor("cli"))
        for name in ("admin", *(u for u, _ in USERS)):
            result = hub.bus.handle(ac.CreateToken(user=name, name="t"), system_actor("cli"))
            self.tokens[name] = str(result["token"])

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def put(self, user: str, path: str, text: str, base: int, **extra: Any) -> TestResponse:
        return self.client.put(f"/api/v1/wiki/{path}", headers=self.auth(user),
                               json={"text": text, "base_revision": base, **extra})

    def get(self, user: str, path: str) -> TestResponse:
        return self.client.get(f"/api/v1/wiki/{path}", headers=self.auth(user))

    def post(self, user: str, path: str, body: dict[str, Any]) -> TestResponse:
        return self.client.post(f"/api/v1/wiki/{path}", headers=self.auth(user), json=body)

    def create(self, path: str, text: str, user: str = "admin") -> dict[str, Any]:
        response = self.put(user, path, text, 0)
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    def login(self, user: str) -> FlaskClient:
        """A browser-like client logged in as ``user`` (session set directly)."""
        client = self.app.test_client()
        role = dict(USERS).get(user, "admin")
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            sid = open_session(conn, user)
        with client.session_transaction() as session:
            session.update(user=user, role=role, sid=sid)
        return client


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)
