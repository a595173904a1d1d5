"""Helpers for the runbook integration tests: a hub with users, tokens and runbooks."""

from __future__ import annotations

import dataclasses
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

OPS_DIR = Path(__file__).resolve().parent.parent / "ops"
if str(OPS_DIR) not in sys.path:
    sys.path.insert(0, str(OPS_DIR))

from hub import create_app  # noqa: E402
from hub.accounts import commands as ac  # noqa: E402
from hub.actors import system_actor  # noqa: E402
from hub.bootstrap import Hub  # noqa: E402
from hub.runbooks.tables import runbook_leases  # noqa: E402


@dataclass
class Env:
    hub: Hub
    client: FlaskClient
    tokens: dict[str, str]
    pages: dict[str, int] = field(default_factory=dict)

    def h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def post(self, user: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, json=body if body is not None else {},
                                headers=self.h(user))

    def get(self, user: str, path: str) -> Any:
        return self.client.get(path, headers=self.h(user))

    def digest(self, run_id: int, n: int, user: str = "admin") -> str:
        """The plan digest step ``n`` shows now ("" when there is no such run or step)."""
        r = self.get(user, f"/api/v1/runs/{run_id}")
        if r.status_code != 200 or not 1 <= n <= len(r.get_json()["steps"]):
            return ""
        return str(r.get_json()["steps"][n - 1]["plan_digest"] or "")

    def approve(self, user: str, run_id: int, n: int) -> Any:
        """Approve the plan ``user`` sees, naming its digest as the contract asks."""
        digest = self.digest(run_id, n, user if user != "carol" else "admin")
        return self.post(user, f"/api/v1/runs/{run_id}/steps/{n}/approve",
                         {"plan_digest": digest} if digest else {})

    def configure(self, **changes: Any) -> None:
        """Change settings (pools, VIPs, restore roots) and drop cached operations."""
        self.hub.settings = dataclasses.replace(self.hub.settings, **changes)
        for key in ("runbook_operations", "runbook_targets"):
            self.hub.services.pop(key, None)

    def save_runbook(self, web: str, topic: str, text: str) -> None:
        """Through the wiki's contract API, on top of whatever revision is there."""
        key = f"{web}.{topic}"
        current = self.client.get(f"/api/v1/wiki/{web}/{topic}", headers=self.h("admin"))
        base = current.get_json()["revision"] if current.status_code == 200 else 0
        r = self.client.put(f"/api/v1/wiki/{web}/{topic}",
                            json={"text": text, "base_revision": base},
                            headers=self.h("admin"))
        if r.status_code not in (200, 201):
            raise AssertionError(f"saving {key} failed: {r.status_code} {r.get_data()!r}")
        self.pages[key] = r.get_json()["revision"]

    def ticket(self, subject: str = "web2 is sick") -> int:
        r = self.post("alice", "/api/v1/tickets", {"queue": "General", "subject": subject,
                                                   "body": "see monitoring"})
        assert r.status_code == 201, r.get_data()
        return int(r.get_json()["id"])

    def history(self, ticket_id: int) -> list[dict[str, Any]]:
        r = self.get("alice", f"/api/v1/tickets/{ticket_id}/history")
        assert r.status_code == 200, r.get_data()
        return list(r.get_json())

    def runbook_comments(self, ticket_id: int) -> list[str]:
        return [str(e["data"]["body"]) for e in self.history(ticket_id)
                if e["type"] == "TicketCommented" and e["source"] == "runbook"]

    def leases(self) -> list[Any]:
        with self.hub.engine.connect() as conn:
            return list(conn.execute(sa.select(runbook_leases)).all())


def make_env(hub: Hub) -> Env:
    for name, role in (("alice", "staff"), ("bob", "staff"), ("carol", "customer")):
        hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                     password="password123"), system_actor("cli"))
    tokens = {name: str(hub.bus.handle(ac.CreateToken(user=name, name="test"),
                                       system_actor("cli"))["token"])
              for name in ("admin", "alice", "bob", "carol")}
    app = create_app(hub)
    app.config["TESTING"] = True
    return Env(hub=hub, client=app.test_client(), tokens=tokens)


def slow_name_server(name: str, release: threading.Event) -> ThreadingHTTPServer:
    """Answers GET / with its name at once, GET /slow only after ``release`` is set."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/slow":
                release.wait(60)
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server
