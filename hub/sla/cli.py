"""``hub sla replay``: what a proposed policy would have done, without changing anything."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click

from hub.clitable import echo_table
from hub.durations import DurationError, parse_duration


@click.group("sla")
def group() -> None:
    """SLA policies and clocks."""


def _load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        body = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--policy") from exc
    if isinstance(body, dict) and isinstance(body.get("sla"), dict):
        body = body["sla"]  # a whole queue body, or a TOML file with an [sla] table
    if not isinstance(body, dict):
        raise click.BadParameter(f"{path}: the policy is a JSON object", param_hint="--policy")
    return body


@group.command("replay")
@click.option("--policy", "policy_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON or TOML file with a queue's sla body")
@click.option("--queue", default=None, help="only this queue (default: every queue)")
@click.option("--since", default="30d", show_default=True,
              help="tickets created within this period")
def replay_command(policy_file: Path, queue: str | None, since: str) -> None:
    """Judge the tickets of the period under the current and the proposed policy."""
    from hub.bootstrap import bootstrap
    from hub.sla.replay import replay

    try:
        period = parse_duration(since)
    except DurationError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    body = _load(policy_file)
    hub = bootstrap()
    with hub.engine.connect() as conn:
        try:
            results = replay(conn, body, queue=queue, since=period)
        finally:
            conn.rollback()
    if not results:
        click.echo(f"No tickets created in the last {since}.")
        return
    echo_table(["queue", "tickets", "met now", "breached now", "met proposed",
                "breached proposed", "changed"],
               [[r.queue, r.tickets, r.current["met"], r.current["breached"],
                 r.proposed["met"], r.proposed["breached"], len(r.changed)] for r in results])
    changed = [(r.queue, c) for r in results for c in r.changed]
    if changed:
        click.echo("")
        echo_table(["queue", "ticket", "response", "resolve"],
                   [[q, f"#{c['ticket_id']}", c.get("response", "same"), c.get("resolve", "same")]
                    for q, c in changed])
