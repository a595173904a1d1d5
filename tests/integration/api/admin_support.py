"""A real ``hub serve`` with admin, staff and customer tokens, spoken to over HTTP.

Used by the administration and security API tests: rights are set up through the
administration API itself, as an admin would.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hub_support as ROOT
import requests

from hub.bootstrap import Hub


@dataclass
class Admin:
    url: str
    hub: Hub
    tokens: dict[str, str]
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, who: str | None = "admin", *,
             headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        sent = dict(headers or {})
        if who is not None:
            sent.setdefault("Authorization", f"Bearer {self.tokens[who]}")
        return self.session.request(method, self.url + path, headers=sent, timeout=30, **kw)

    def ok(self, method: str, path: str, who: str = "admin", status: int = 200,
           **kw: Any) -> Any:
        r = self.call(method, path, who, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        return r.json()

    def refused(self, method: str, path: str, who: str, status: int,
                **kw: Any) -> dict[str, Any]:
        """The call fails with ``status`` and a JSON ``{"error": ...}`` body."""
        r = self.call(method, path, who, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        body = r.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str), body
        return dict(body)

    def token_for(self, name: str) -> str:
        token = ROOT.make_token(self.hub, name)
        self.tokens[name] = token
        return token

    def user(self, role: str, password: str | None = "password123") -> str:
        """A new user made through ``POST /api/v1/users``, with an API token."""
        name = f"{role[:4]}{uuid.uuid4().hex[:8]}"
        body: dict[str, Any] = {"name": name, "email": f"{name}@example.com", "role": role}
        if password is not None:
            body["password"] = password
        self.ok("POST", "/api/v1/users", json=body, status=201)
        self.token_for(name)
        return name

    def queue(self, **settings: Any) -> str:
        name = f"Q{uuid.uuid4().hex[:10]}"
        self.ok("POST", "/api/v1/queues", json={"name": name, **settings}, status=201)
        return name


@contextlib.contextmanager
def running(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[Admin]:
    hub = ROOT.make_hub(tmp)
    env = {**os.environ, "HUB_DATA_DIR": str(tmp / "var"), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": "", **(extra_env or {})}
    srv = ROOT.Server(tmp / "var", env)
    try:
        srv.start("--no-scheduler", "--no-smtp")
        admin = Admin(srv.url, hub, {"admin": ROOT.make_token(hub, "admin")})
        try:
            yield admin
        finally:
            admin.session.close()
    finally:
        srv.stop()
        hub.engine.dispose()
