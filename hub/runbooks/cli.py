"""``hub runbooks``: see and manage resource leases from the shell.

``lock`` lets a person doing maintenance by hand hold a resource so that no run
changes it meanwhile; ``unlock`` releases it by its fencing token.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from hub.clitable import echo_table, local_time
from hub.db import WRITE
from hub.runbooks import leases

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def _hub() -> Hub:
    from hub.bootstrap import bootstrap

    return bootstrap()


@click.group("runbooks")
def group() -> None:
    """Runbook runs and resource leases."""


@group.command("leases")
def show_leases() -> None:
    """List leases (held and expired) with their fencing tokens."""
    hub = _hub()
    with hub.engine.connect() as conn:
        held = leases.current(conn)
    echo_table(["resource", "state", "token", "holder", "run", "until"],
               [[lease["resource"], "expired" if lease["expired"] else "held", lease["token"],
                 lease["holder"], _run_step(lease), local_time(
                     dt.datetime.fromisoformat(lease["expires_at"].rstrip("Z")))]
                for lease in held],
               empty="no leases", right=["token"], flexible=["holder"])


def _run_step(lease: dict[str, Any]) -> str:
    if not lease.get("run_id"):
        return "by hand"
    return f"run {lease['run_id']}" + (f" step {lease['step']}" if lease.get("step") else "")


@group.command("lock")
@click.argument("resource")
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 24 * 60))
@click.option("--holder", required=True, help="who holds it, e.g. your name and why")
def lock(resource: str, minutes: int, holder: str) -> None:
    """Hold RESOURCE (e.g. lb:web/web2) so no run changes it; prints the token."""
    hub = _hub()
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        token = leases.acquire(conn, [resource], f"{holder} (by hand)", minutes * 60)
    click.echo(token)


@group.command("unlock")
@click.argument("token", type=int)
def unlock(token: int) -> None:
    """Release the leases taken with TOKEN."""
    hub = _hub()
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        released = leases.release(conn, token)
    click.echo(f"released {released} lease(s)")
