"""First-start set-up shared by ``hub init`` and ``hub serve``: schema, demo queue, admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from hub.accounts import commands as ac
from hub.accounts.tables import users
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.migrate import upgrade
from hub.tickets import commands as tc
from hub.tickets.tables import queues


@dataclass(frozen=True)
class InitResult:
    created_queue: bool
    admin_password: str | None


def initialise(hub: Hub, admin_password: str | None = None) -> InitResult:
    """Idempotent: migrate, then create what a first start needs and nothing twice."""
    upgrade(hub.engine)
    actor = system_actor("cli", "init")
    domain = hub.settings.mail_domain
    with hub.engine.connect() as conn:
        has_queue = conn.execute(
            sa.select(queues.c.key).where(queues.c.key == "general")).first() is not None
        has_admin = conn.execute(
            sa.select(users.c.name).where(users.c.role == "admin")).first() is not None
    if not has_queue:
        hub.bus.handle(tc.CreateQueue(
            name="General", description="Default queue",
            address=f"general@{domain}", comment_address=f"general-comment@{domain}"),
            actor, idempotency_key="init:queue:general")
    password = None
    if not has_admin:
        password = admin_password or secrets.token_urlsafe(12)
        hub.bus.handle(ac.CreateUser(name="admin", email=f"admin@{domain}", role="admin",
                                     display_name="Administrator", password=password),
                       actor, idempotency_key="init:user:admin")
    from hub.wiki.setup import create_demo

    create_demo(hub)
    return InitResult(created_queue=not has_queue, admin_password=password)
