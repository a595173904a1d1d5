"""Demo content for ``hub init``: ``Main.WebHome`` and the ``Runbooks`` web with a runbook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.actors import system_actor
from hub.wiki import commands as c
from hub.wiki.queries import page_exists

if TYPE_CHECKING:
    from hub.bootstrap import Hub

MAIN_HOME = """# Welcome to OpsHub

This is the knowledge base. Runbooks live in the Runbooks.WebHome web; every page has
a history, backlinks and can be searched together with tickets.

## Open tickets

%TICKETS{"status=new,open limit=10"}%
"""

RUNBOOKS_HOME = """# Runbooks

Operational procedures. Each fenced `op` block of a runbook is one step.

* DrainWebNode: take a web server out of the pool for maintenance
"""

RUNBOOKS_PREFS = """# Runbooks preferences

Staff may view, change and execute runbooks; customers see nothing here.

   * Set ALLOWWEBVIEW = StaffGroup
   * Set ALLOWWEBCHANGE = StaffGroup
   * Set ALLOWWEBEXECUTE = StaffGroup
"""

DRAIN_WEB_NODE = """# Drain a web node

Take one web server out of the load-balancer pool, e.g. before maintenance.

```params
node: {type: string, required: true, description: web server to drain}
```

```op
name: Drain the node from the web pool
action: lb.drain
params: {pool: web, server: "{{ params.node }}"}
approval: required
```

```op
name: Note the drain on the ticket
action: ticket.comment
params: {body: "{{ params.node }} drained from the web pool"}
```

When the work is done, put the node back with `lb.ready`.
"""

DEMO = (
    ("Main", "WebHome", MAIN_HOME, None),
    ("Runbooks", "WebPreferences", RUNBOOKS_PREFS, None),
    ("Runbooks", "WebHome", RUNBOOKS_HOME, None),
    ("Runbooks", "DrainWebNode", DRAIN_WEB_NODE, "Runbooks.WebHome"),
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
