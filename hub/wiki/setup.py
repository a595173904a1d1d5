"""Demo content for ``hub init``: ``Main.WebHome`` (the ``Runbooks`` web and its demo
runbooks come from the runbooks feature, ``hub.runbooks.commands.install_demo``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.actors import system_actor
from hub.wiki import commands as c
from hub.wiki.queries import page_exists

if TYPE_CHECKING:
    from hub.bootstrap import Hub

# "!OpsHub": the product's name is written like a WikiWord but names no topic, so it is
# escaped (TML's ``!``) instead of showing as a link to a page that does not exist.
MAIN_HOME = """# Welcome to !OpsHub

This is the knowledge base. Runbooks live in the [[Runbooks.WebHome][Runbooks]] web;
every page has a history, backlinks and can be searched together with tickets.

## Open tickets

%TICKETS{"status=new,open limit=10"}%
"""

DEMO = (
    ("Main", "WebHome", MAIN_HOME, None),
)


def create_demo(hub: Hub) -> list[str]:
    """Create the demo topics that do not exist yet (idempotent); returns those created."""
    actor = system_actor("cli", "init")
    created = []
    for web, topic, text, parent in DEMO:
        with hub.engine.connect() as conn:
            if page_exists(conn, web, topic):
                continue
        hub.bus.handle(c.SavePage(web=web, topic=topic, text=text, base_revision=0,
                                  summary="demo content", parent=parent), actor,
                       idempotency_key=f"init:wiki:{web}.{topic}")
        created.append(f"{web}.{topic}")
    return created
