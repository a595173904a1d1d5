"""A real ``hub serve`` for the runbook security tests, driven over HTTP like an attacker.

Users, queues and grants are made through the administration API; tokens through
the CLI's command (they work at once while the server runs, as the contract says).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from hub_support import Server, make_hub, make_token

from hub.bootstrap import Hub
from hub.db import events

STAFF = ("alice", "bob", "dave")


@dataclass
class Live:
    server: Server
    hub: Hub
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return str(self.server.url)

    def call(self, user: str, method: str, path: str, json: Any = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        sent = {"Authorization": f"Bearer {self.tokens[user]}", **(headers or {})}
        return requests.request(method, self.url + path, json=json, headers=sent, timeout=60)

    def post(self, user: str, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.call(user, "POST", path, {} if json is None else json, **kw)

    def get(self, user: str, path: str) -> requests.Response:
        return self.call(user, "GET", path)

    def admin(self, path: str, body: dict[str, Any]) -> None:
        r = self.post("admin", path, body)
        assert r.status_code in (200, 201), (path, body, r.status_code, r.text)

    def add_user(self, name: str, role: str) -> None:
        self.admin("/api/v1/users", {"name": name, "email": f"{name}@example.com",
                                     "role": role, "password": "password123"})
        self.tokens[name] = make_token(self.hub, name)

    def grant(self, right: str, queue: str, to: str) -> None:
        self.admin("/api/v1/grants", {"right": right, "queue": queue, "to": to})

    def save_runbook(self, web: str, topic: str, text: str) -> None:
        current = self.get("admin", f"/api/v1/wiki/{web}/{topic}")
        base = current.json()["revision"] if current.status_code == 200 else 0
        r = self.call("admin", "PUT", f"/api/v1/wiki/{web}/{topic}",
                      {"text": text, "base_revision": base})
        assert r.status_code in (200, 201), r.text

    def ticket(self, user: str = "alice", queue: str = "General", subject: str = "disk full",
               fields: dict[str, str] | None = None) -> int:
        body: dict[str, Any] = {"queue": queue, "subject": subject, "body": "see graphs"}
        if fields:
            body["fields"] = fields
        r = self.post(user, "/api/v1/tickets", body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def run(self, user: str, run_id: int) -> dict[str, Any]:
        r = self.get(user, f"/api/v1/runs/{run_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def digest(self, user: str, run_id: int, n: int) -> str:
        return str(self.run(user, run_id)["steps"][n - 1]["plan_digest"])

    def step(self, user: str, run_id: int, n: int, action: str,
             body: dict[str, Any] | None = None) -> requests.Response:
        return self.post(user, f"/api/v1/runs/{run_id}/steps/{n}/{action}", body or {})

    def event_text(self) -> str:
        """Every stored event's data and metadata, as one text to search for leaks."""
        with self.hub.engine.connect() as conn:
            rows = conn.execute(sa.select(events.c.type, events.c.data, events.c.meta)).all()
        return "\n".join(f"{r.type} {r.data!r} {r.meta!r}" for r in rows)

    def login(self, user: str) -> requests.Session:
        session = requests.Session()
        page = session.get(self.url + "/login", timeout=30).text
        r = session.post(self.url + "/login", data={"username": user,
                                                    "password": "password123",
                                                    "csrf_token": csrf(page)},
                         allow_redirects=False, timeout=30)
        assert r.status_code in (302, 303), r.text
        return session


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field"
    return found.group(1)


def start_live(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Live:
    data_dir = tmp_path / "var"
    hub = make_hub(tmp_path)
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": "", **(extra_env or {})}
    server = Server(data_dir, env)
    server.start("--no-scheduler", "--no-smtp")
    live = Live(server=server, hub=hub, tokens={"admin": make_token(hub, "admin")})
    for name in STAFF:
        live.add_user(name, "staff")
    live.add_user("carol", "customer")
    return live
