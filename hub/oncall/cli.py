"""``hub oncall now [SCHEDULE]``: who is on call, until when, and who comes next."""

from __future__ import annotations

import datetime as dt
import json

import click

from hub.clitable import echo_table, local_time
from hub.oncall import queries as q


@click.group("oncall")
def group() -> None:
    """On-call schedules and who is on call."""


def _moment(value: str | None) -> dt.datetime | None:
    return None if not value else dt.datetime.fromisoformat(value.removesuffix("Z"))


@group.command("now")
@click.argument("schedule", required=False)
@click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
def now_command(schedule: str | None, as_json: bool) -> None:
    """Each schedule's people on call now (or only SCHEDULE's), until when, and next."""
    from hub.bootstrap import bootstrap

    hub = bootstrap()
    with hub.engine.connect() as conn:
        names = [schedule] if schedule else [s.name for s in q.list_schedules(conn)]
        if schedule and q.find_schedule(conn, schedule) is None:
            raise click.ClickException(f"no schedule {schedule!r} (see `hub oncall now`)")
        found = [q.now_and_next(conn, name) for name in names]
    if as_json:
        click.echo(json.dumps(found if not schedule else found[0], indent=2))
        return
    rows = []
    for s in found:
        until, nxt = _moment(s["until"]), s["next"]
        starts = _moment(nxt["from"]) if nxt else None
        rows.append([s["schedule"], s["on_call"] or "nobody",
                     local_time(until) if until else "",
                     ", ".join(nxt["users"]) if nxt else "",
                     local_time(starts) if starts else "", s["timezone"]])
    echo_table(["schedule", "on call", "until", "next", "next from", "timezone"], rows,
               empty="no schedules (create one with PUT /api/v1/oncall/schedules/NAME)")
