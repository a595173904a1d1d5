"""First-start set-up shared by ``hub init`` and ``hub serve``: schema, demo queue, admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hub.accounts import commands as ac
from hub.accounts.queries import any_admin
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.migrate import upgrade
from hub.runbooks.commands import install_demo as install_runbook_demo
from hub.tickets import commands as tc
from hub.tickets.queries import find_queue
from hub.wiki.commands import install_demo


@dataclass(frozen=True)
class InitResult:
    created_queue: bool
    admin_password: str | None
    demo_runbooks: tuple[str, ...] = ()  # the demo runbooks created now (first start)


def initialise(hub: Hub, admin_password: str | None = None) -> InitResult:
    """Idempotent: migrate, then create what a first start needs and nothing twice."""
    upgrade(hub.engine)
    actor = system_actor("cli", "init")
    domain = hub.settings.mail_domain
    with hub.engine.connect() as conn:
        has_queue = find_queue(conn, "general") is not None
        has_admin = any_admin(conn)
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
    install_demo(hub)
    created = install_runbook_demo(hub)
    runbooks = tuple(t for t in DEMO_RUNBOOKS if t in created)
    return InitResult(created_queue=not has_queue, admin_password=password,
                      demo_runbooks=runbooks)


#: Runbooks ``hub init`` creates; the first runs to the end with no configuration.
DEMO_RUNBOOKS = ("Runbooks.RestoreWebConfig", "Runbooks.DrainWebNode")


def describe_demo(result: InitResult, base_url: str) -> str | None:
    """The line ``hub init`` and ``hub serve`` print when they created the demo runbooks."""
    if not result.demo_runbooks:
        return None
    return (f"created demo runbooks {', '.join(result.demo_runbooks)}: open a ticket, then "
            f"{base_url}/runbooks (RestoreWebConfig restores a demo file as it is; its drain "
            "step needs a pool declared, or a skip with a reason)")
