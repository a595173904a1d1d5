"""The ``Runbooks`` web of a fresh install, and a demo that runs end to end without setup.

``hub init`` calls :func:`install_demo` (through ``hub.runbooks.commands``). It keeps a
tiny rsnapshot-style backup of the demo host ``demo-web1`` in the default backup store
(``<data dir>/backups``) and the default restore target (``<data dir>/restores``), and
creates the runbook ``Runbooks.RestoreWebConfig``, which restores a file from that
backup and notes it on the ticket. Its drain step stays in as the example of a step that
needs configuration: on a fresh install its plan fails with "unknown pool 'web'" (which
says what to declare), the operator skips it with a reason, and the ``when:`` conditions
skip what only makes sense after a real drain, so the run ends ``completed_with_skips``.

Nothing is written outside the data dir: with ``HUB_BACKUP_ROOT`` pointing elsewhere
(a real backup store) no demo host is added there, and the page says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hub.actors import system_actor
from hub.wiki import commands as wc
from hub.wiki.queries import page_exists

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.config import Settings

DEMO_HOST = "demo-web1"
DEMO_FILE = "etc/demo-app/app.conf"
SNAPSHOTS = {  # oldest first; ``latest`` points at the last one, as rsnapshot's does
    "daily.1": "# demo-app, as backed up the day before yesterday\nlisten = 8080\n"
               "workers = 2\n",
    "daily.0": "# demo-app, as backed up yesterday\nlisten = 8080\nworkers = 4\n",
}

RUNBOOKS_PREFS = """# Runbooks preferences

Staff may view, change and execute runbooks; customers see nothing here.

   * Set ALLOWWEBVIEW = StaffGroup
   * Set ALLOWWEBCHANGE = StaffGroup
   * Set ALLOWWEBEXECUTE = StaffGroup
"""

RUNBOOKS_HOME = """# Runbooks

Operational procedures. Each fenced `op` block of a runbook is one step; the
[runbooks index](/runbooks) lists every runbook with its recent runs.

* RestoreWebConfig: restore a web node's configuration from its backup (the demo: it
  runs to the end on a fresh install)
* DrainWebNode: take a web server out of the load-balancer pool for maintenance (needs
  a pool in the configuration)
"""

POOL_EXAMPLE = """```toml
[[lb_pools]]
name = "web"
driver = "haproxy"                   # or "ipvs" (see docs/runbooks.md)
members = ["demo-web1", "web2"]      # the only servers a run may drain
haproxy = {socket = "/run/haproxy/admin.sock", backend = "web"}
```"""

DRAIN_WEB_NODE = f"""# Drain a web node

Take one web server out of the load-balancer pool `web`, e.g. before maintenance, and
note it on the ticket. Alert routing may suggest this runbook on an alert's ticket.

**Needs configuration:** the pool `web` must be declared under `[[lb_pools]]` in the
TOML file that `HUB_CONFIG` names (then restart the hub). Until it is, step 1 fails to
plan with "unknown pool 'web'" and the note of step 2 is skipped by its condition.

{POOL_EXAMPLE}

```params
node: {{type: string, required: true, description: web server to drain}}
```

```op
name: Drain the node from the web pool
action: lb.drain
params: {{pool: web, server: "{{{{ params.node }}}}"}}
approval: required
```

```op
name: Note the drain on the ticket
action: ticket.comment
params: {{body: "{{{{ params.node }}}} drained from the web pool"}}
when: step 1 verified
```

When the work is done, put the node back with `lb.ready`.
"""


@dataclass(frozen=True)
class DemoStore:
    """Where the demo's backup and restore live, and whether ``hub init`` keeps them."""

    backup_root: Path
    target_root: Path
    store_made: bool
    target_allowed: bool


def demo_store(settings: Settings) -> DemoStore:
    """Make (once) the demo host's snapshots and the restore root, inside the data dir."""
    data = settings.data_dir.resolve()
    backups = Path(settings.backup_root).resolve()
    target = data / "restores"
    allowed = any(target == Path(t).resolve() or Path(t).resolve() in target.parents
                  for t in settings.restore_targets)
    inside = backups == data or data in backups.parents
    if inside:
        host = backups / DEMO_HOST
        for name, text in SNAPSHOTS.items():
            path = host / name / DEMO_FILE
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        latest = host / "latest"
        if not os.path.lexists(latest):
            latest.symlink_to(list(SNAPSHOTS)[-1])
    if allowed:
        target.mkdir(parents=True, exist_ok=True)
    return DemoStore(backups, target, inside, allowed)


def restore_page(store: DemoStore) -> str:
    """The demo runbook's text, naming this install's directories."""
    where = (f"`hub init` keeps a small backup of the demo host `{DEMO_HOST}` in "
             f"`{store.backup_root}/{DEMO_HOST}` (snapshots `daily.1` and `daily.0`, "
             "`latest` being the newest)" if store.store_made else
             f"`HUB_BACKUP_ROOT` is `{store.backup_root}`, outside the data dir, so `hub "
             f"init` added no demo host there: step 2 fails until `{DEMO_HOST}` has backups")
    target = (f"restores into `{store.target_root}/{DEMO_HOST}` (under the default "
              "restore target, `HUB_RESTORE_TARGETS`)" if store.target_allowed else
              f"restores into `{store.target_root}/{DEMO_HOST}`, which `HUB_RESTORE_TARGETS` "
              f"does not allow here: add `{store.target_root}` to it to run this demo")
    node = "{{ params.node }}"
    return f"""# Restore a web node's configuration from backup

The demo runbook: it runs to the end on a fresh install, with no configuration.
{where}; step 2 {target}.

Start it from a ticket (the notes go there). Step 1 takes the node out of the
load-balancer pool `web`. A fresh install declares no pool, so step 1 fails to plan
with "unknown pool 'web'"; **skip it with a reason** (for instance "no load balancer
here") and the run goes on: step 2 restores the file and step 4 notes it on the
ticket, while steps 3 and 5, which only make sense after a real drain, are skipped by
their `when:` condition. The run then ends `completed_with_skips`, saying honestly
that the drain did not happen.

To drain for real, declare the pool in the TOML file that `HUB_CONFIG` names and
restart the hub:

{POOL_EXAMPLE}

```params
node: {{type: choice, choices: [{DEMO_HOST}], default: {DEMO_HOST}, description: the web node}}
path:
  default: /{DEMO_FILE}
  pattern: "/[A-Za-z0-9._/-]+"
  description: file or directory to restore
snapshot: {{default: latest, description: "snapshot to restore from (latest, daily.0, daily.1)"}}
```

```op
name: Take the node out of the web pool
action: lb.drain
params: {{pool: web, server: "{node}"}}
```

```op
name: Restore the file from the node's backup
action: backup.restore
params:
  host: "{node}"
  path: "{{{{ params.path }}}}"
  snapshot: "{{{{ params.snapshot }}}}"
  target: "{store.target_root}/{node}"
timeout: 120
```

```op
name: Put the node back into the web pool
action: lb.ready
params: {{pool: web, server: "{node}"}}
when: step 1 verified
```

```op
name: Note the restore on the ticket
action: ticket.comment
params:
  body: >-
    {{{{ params.path }}}} of {node} restored from snapshot {{{{ params.snapshot }}}}
    into {store.target_root}/{node}
when: step 2 verified
```

```op
name: Note the drain on the ticket
action: ticket.comment
params: {{body: "{node} was out of the web pool during the restore and is back in it"}}
when: step 3 verified
```
"""


def install_demo(hub: Hub) -> list[str]:
    """Create what is missing of the demo (idempotent); returns the topics created."""
    store = demo_store(hub.settings)
    topics = (
        ("WebPreferences", RUNBOOKS_PREFS, None),
        ("WebHome", RUNBOOKS_HOME, None),
        ("DrainWebNode", DRAIN_WEB_NODE, "Runbooks.WebHome"),
        ("RestoreWebConfig", restore_page(store), "Runbooks.WebHome"),
    )
    actor = system_actor("cli", "init")
    created = []
    for topic, text, parent in topics:
        with hub.engine.connect() as conn:
            if page_exists(conn, "Runbooks", topic):
                continue
        hub.bus.handle(wc.SavePage(web="Runbooks", topic=topic, text=text, base_revision=0,
                                   summary="demo content", parent=parent), actor,
                       idempotency_key=f"init:wiki:Runbooks.{topic}")
        created.append(f"Runbooks.{topic}")
    return created
