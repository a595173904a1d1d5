"""A hub with users, a customer's ticket (public and private attachments) and clients.

Shared by the web integration tests; the Flask test client drives the same app
``hub serve`` runs (the browser tests in tests/e2e use the real server).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import events, make_engine
from hub.setup import initialise
from hub.tickets import commands as tc

PASSWORD = "password123"
ROLES = ("admin", "staff", "owner", "other", "anonymous")


def new_hub(root: Path) -> Hub:
    settings = load_settings(env={"HUB_DATA_DIR": str(root / "var"), "HUB_DATABASE_URL": "",
                                  "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test"})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password=PASSWORD)
    return hub


def add_user(hub: Hub, name: str, role: str) -> None:
    hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                 password=PASSWORD), system_actor("cli"))


def token(hub: Hub, user: str) -> str:
    return str(hub.bus.handle(ac.CreateToken(user=user, name="t"), system_actor("cli"))["token"])


def login(app: Flask, user: str | None) -> FlaskClient:
    client = app.test_client()
    if user is not None:
        response = client.post("/login", data={"username": user, "password": PASSWORD})
        assert response.status_code == 303, response.data[:500]
    return client


@dataclass
class Desk:
    hub: Hub
    app: Flask
    ticket: int
    other_ticket: int
    public_sha: str
    private_sha: str
    first_position: int
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str) -> FlaskClient:
        return self.clients[role]


USERS = {"admin": "admin", "staff": "alice", "owner": "carol", "other": "dave",
         "anonymous": None}


def build_desk(root: Path, csrf: bool = False) -> Desk:
    """carol's ticket has a reply with a public file and a comment with a private one."""
    hub = new_hub(root)
    add_user(hub, "alice", "staff")
    add_user(hub, "carol", "customer")
    add_user(hub, "dave", "customer")
    app = create_app(hub)
    app.config["WTF_CSRF_ENABLED"] = False
    staff = login(app, "alice")
    created = staff.post("/tickets/new", data={
        "queue": "General", "subject": "Carol's printer", "body": "it jams",
        "requestors": "carol@example.com"})
    ticket = int(created.headers["Location"].rsplit("/", 1)[1])
    staff.post(f"/tickets/{ticket}/reply", content_type="multipart/form-data", data={
        "body": "see the manual", "attachments": (io.BytesIO(b"public manual"), "manual.txt",
                                                  "text/plain")})
    staff.post(f"/tickets/{ticket}/comment", content_type="multipart/form-data", data={
        "body": "secret vendor contract", "attachments": (io.BytesIO(b"private contract"),
                                                          "contract.pdf", "application/pdf")})
    page = staff.get(f"/tickets/{ticket}").data.decode()
    shas = re.findall(r"/attachments/([0-9a-f]{64})", page)
    other = hub.bus.handle(tc.CreateTicket(queue="General", subject="Dave's router",
                                           body="dave only", requestors=["dave@example.com"]),
                           system_actor("cli"))["id"]
    with hub.engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(events.c.position)).where(
            events.c.stream_id == f"ticket-{ticket}")).scalar_one()
    desk = Desk(hub=hub, app=app, ticket=ticket, other_ticket=other, public_sha=shas[0],
                private_sha=shas[1], first_position=int(first))
    for role, user in USERS.items():
        desk.clients[role] = login(app, user)
        if user is not None:
            desk.tokens[role] = token(hub, user)
    app.config["WTF_CSRF_ENABLED"] = csrf
    return desk


def api(desk: Desk, role: str, method: str, path: str, body: Any = None) -> Any:
    client = desk.app.test_client()
    headers = {}
    if role in desk.tokens:
        headers["Authorization"] = f"Bearer {desk.tokens[role]}"
    return client.open(path, method=method, json=body, headers=headers)
