"""The main menu: every feature a role may use, one click from any page.

Staff find the desk, tickets, the wiki's webs, runbooks, alerts, on call, the
rules (read-only for staff), search and the dashboard; admins also administration.
Customers see only what they may use: their requests, opening one (where some queue
lets them), search and their account.
Links are plain paths, so a section answers at its contract address whichever
feature serves it; the entry of the section the page belongs to is marked current
(``aria-current="page"``), the longest matching path winning (``/tickets/new`` is
"New ticket", ``/tickets/7`` is "Tickets").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request

from hub.actors import Actor


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    #: Paths (and everything below them) that belong to this section.
    sections: tuple[str, ...]
    current: bool = False


STAFF = (
    MenuItem("Desk", "/", ("/", "/queues")),
    MenuItem("Tickets", "/tickets", ("/tickets",)),
    MenuItem("New ticket", "/tickets/new", ("/tickets/new",)),
    MenuItem("Wiki", "/wiki/", ("/wiki",)),
    MenuItem("Runbooks", "/runbooks", ("/runbooks", "/runs")),
    MenuItem("Alerts", "/alerts", ("/alerts",)),
    MenuItem("On call", "/oncall", ("/oncall",)),
    MenuItem("Rules", "/admin/rules", ("/admin/rules",)),
    MenuItem("Search", "/search", ("/search",)),
    MenuItem("Dashboard", "/dashboard", ("/dashboard",)),
)
ADMIN = (MenuItem("Admin", "/admin", ("/admin",)),)
CUSTOMER = (
    MenuItem("Your requests", "/", ("/", "/tickets")),
    MenuItem("New request", "/tickets/new", ("/tickets/new",)),
    MenuItem("Search", "/search", ("/search",)),
)
ACCOUNT = (MenuItem("Account", "/account", ("/account",)),)


def _match(path: str, section: str) -> int:
    """How long a prefix of ``path`` ``section`` is (0: none); ``/`` matches only itself."""
    if section == "/":
        return 1 if path == "/" else 0
    if path == section or path.startswith(section.rstrip("/") + "/"):
        return len(section)
    return 0


def items_for(actor: Actor | None, path: str, *, may_create: bool = True) -> list[MenuItem]:
    """The menu of ``actor`` (nothing when logged out), the current section marked."""
    if actor is None:
        return []
    if actor.is_staff:
        chosen = [*STAFF, *(ADMIN if actor.role == "admin" else ()), *ACCOUNT]
    else:
        chosen = [i for i in (*CUSTOMER, *ACCOUNT) if may_create or i.href != "/tickets/new"]
    scores = [max(_match(path, s) for s in item.sections) for item in chosen]
    best = max(scores, default=0)
    return [MenuItem(i.label, i.href, i.sections, current=best > 0 and score == best)
            for i, score in zip(chosen, scores, strict=True)]


def _customer_may_create(actor: Actor) -> bool:
    from hub.httpapi import hub_of
    from hub.web.listing import queues_with

    with hub_of().engine.connect() as conn:
        return bool(queues_with(conn, actor, "CreateTicket"))


def current_menu() -> list[MenuItem]:
    """This request's menu (computed once; templates call ``main_menu()``)."""
    cached = g.get("main_menu")
    if isinstance(cached, list):
        return cached
    actor = g.get("session_actor")
    may_create = True
    if actor is not None and not actor.is_staff:
        may_create = _customer_may_create(actor)
    g.main_menu = items_for(actor, request.path, may_create=may_create)
    return list(g.main_menu)


def install(app: Flask) -> None:
    @app.context_processor
    def _menu() -> dict[str, Any]:
        return {"main_menu": current_menu}
