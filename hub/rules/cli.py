"""``hub rules list``: the rules as the hub runs them, for a terminal or a script."""

from __future__ import annotations

import json
from typing import Any

import click

from hub.actors import system_actor
from hub.clitable import echo_table
from hub.rules import queries as q
from hub.rules.describe import action_text, condition_text


@click.group("rules")
def group() -> None:
    """Rules (RT scrips in spirit): what automation does on events and on time."""


def _summary(rule: dict[str, Any]) -> tuple[str, str]:
    conditions = "; ".join(condition_text(k, v) for k, v in rule.get("if", {}).items())
    return conditions or "always", "; ".join(action_text(a) for a in rule.get("do", []))


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
def list_command(as_json: bool) -> None:
    """Every rule in the order they run: trigger, conditions, actions, last firing."""
    from hub.bootstrap import bootstrap

    hub = bootstrap()
    actor = system_actor("cli")
    with hub.engine.connect() as conn:
        rules = q.list_rules(conn, actor)
        last = {r["name"]: q.firings_of(conn, actor, r["name"], 1) for r in rules}
    docs = [{**r, "last_fired": last[r["name"]][0] if last[r["name"]] else None}
            for r in rules]
    if as_json:
        click.echo(json.dumps(docs, indent=2, ensure_ascii=False))
        return
    rows = []
    for d in docs:
        conditions, actions = _summary(d)
        fired = d["last_fired"]
        trigger = d["on"] + (f" for {d['for']}" if d.get("for") else "")
        rows.append([d["name"], trigger, "yes" if d["enabled"] else "no", d["order"],
                     conditions, actions,
                     f"#{fired['ticket_id']} {fired['at']}" if fired else "never"])
    enabled = sum(1 for d in docs if d["enabled"])
    echo_table(["name", "on", "enabled", "order", "if", "do", "last fired"], rows,
               empty="no rules (define one with POST /api/v1/rules)",
               flexible=["if", "do"], right=["order"],
               footer=f"{len(docs)} rules, {enabled} enabled" if docs else None)
