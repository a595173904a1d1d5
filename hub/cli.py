"""The ``hub`` command: translate command lines into bus commands and queries."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.clierrors import HubCommands, ensure_bindable
from hub.clitable import echo_table
from hub.domain import DomainError


def _hub() -> Hub:
    """The hub; a bad configuration file is one line naming the key, and exit 1."""
    from hub.config import ConfigError

    try:
        return bootstrap()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message) from exc


@click.group(cls=HubCommands)
def main() -> None:
    """OpsHub: tickets, wiki, alerts and runbooks on one event store."""


@main.command()
def init() -> None:
    """Migrate the database and create the General queue and an admin (idempotent)."""
    from hub.setup import describe_demo, initialise

    hub = _hub()
    result = initialise(hub, os.environ.get("HUB_ADMIN_PASSWORD") or None)
    if result.created_queue:
        click.echo("created queue General")
    if result.admin_password is not None:
        if os.environ.get("HUB_ADMIN_PASSWORD"):
            click.echo("created user admin (password from HUB_ADMIN_PASSWORD)")
        else:
            click.echo(f"created user admin with password: {result.admin_password}")
            click.echo("(shown once; change it with `hub user passwd admin` or on "
                       "/admin/users/admin)")
    demo = describe_demo(result, f"http://{hub.settings.http_bind}")
    if demo:
        click.echo(demo)
    click.echo("database ready")


@main.command()
@click.option("--http", "http_bind", default=None, help="HOST:PORT for web and API")
@click.option("--smtp", "smtp_bind", default=None, help="HOST:PORT for the SMTP gateway")
@click.option("--no-smtp", is_flag=True, help="do not start the SMTP gateway")
@click.option("--no-scheduler", is_flag=True, help="do not start the scheduler")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="web worker processes (default: HUB_WEB_WORKERS, else one per core)")
def serve(http_bind: str | None, smtp_bind: str | None, no_smtp: bool,
          no_scheduler: bool, workers: int | None) -> None:
    """Run web + API, the SMTP gateway, the scheduler and the reactors on this node."""
    from hub.serve import run

    hub = _hub()
    ensure_bindable(http_bind or hub.settings.http_bind, "--http")
    if not no_smtp:
        ensure_bindable(smtp_bind or hub.settings.smtp_bind, "--smtp")
    run(hub, http_bind=http_bind, smtp_bind=smtp_bind, smtp=not no_smtp,
        scheduler=not no_scheduler, workers=workers)


@main.command(hidden=True)
@click.option("--smtp", "smtp_bind", default=None, help="HOST:PORT for the SMTP gateway")
@click.option("--no-smtp", is_flag=True, help="do not start the SMTP gateway")
@click.option("--no-scheduler", is_flag=True, help="do not start the scheduler")
@click.option("--ready-fd", type=int, default=None, help="file descriptor told when ready")
def services(smtp_bind: str | None, no_smtp: bool, no_scheduler: bool,
             ready_fd: int | None) -> None:
    """The SMTP gateway and the scheduler alone (``hub serve --workers N`` runs this)."""
    from hub.serve import run_services

    run_services(_hub(), smtp_bind=smtp_bind, smtp=not no_smtp, scheduler=not no_scheduler,
                 ready_fd=ready_fd)


@main.group(invoke_without_command=True)
@click.pass_context
def reactors(ctx: click.Context) -> None:
    """Run the reactors alone (``hub serve`` starts this as its child process)."""
    if ctx.invoked_subcommand is None:
        from hub.serve import run_reactors

        run_reactors(_hub())


@reactors.command("failures")
def reactors_failures() -> None:
    """Parked reactions: reactor, position, event type, ticket, attempts, error, when."""
    from hub.reactor_failures import parked

    items = parked(_hub())
    rows = [(f"{p.reactor}:{p.position}", p.reactor, p.position,
             p.event.type if p.event else "?", p.ticket_id or "", p.attempts,
             " ".join(p.error.split())[:80], p.at.isoformat(timespec="seconds"))
            for p in items]
    head = ("ID", "REACTOR", "POSITION", "EVENT", "TICKET", "ATTEMPTS", "ERROR", "WHEN")
    echo_table(head, rows, empty="no parked reactions", footer=f"{len(items)} parked",
               flexible=["ERROR"])


@reactors.command("retry")
@click.argument("ident", required=False)
@click.option("--all", "every", is_flag=True, help="retry every parked reaction")
def reactors_retry(ident: str | None, every: bool) -> None:
    """Run parked reactions again now (ID is REACTOR:POSITION or POSITION); a success
    removes the row."""
    from hub.reactor_failures import parked, retry_parked

    if not every and not ident:
        raise click.UsageError("name an ID (see `hub reactors failures`) or --all")
    hub = _hub()
    chosen = [p for p in parked(hub) if every or ident in (f"{p.reactor}:{p.position}",
                                                          str(p.position))]
    if not chosen:
        raise click.ClickException(f"no parked reaction {ident}")
    failed = 0
    for item in chosen:
        error = retry_parked(hub, item)
        failed += error is not None
        click.echo(f"{item.reactor}:{item.position} " + ("done" if error is None
                                                         else f"failed again: {error}"))
    if failed:
        sys.exit(1)


@main.group("config")
def config_group() -> None:
    """The configuration (HUB_* variables and the HUB_CONFIG file)."""


@config_group.command("check")
def config_check() -> None:
    """Check every key of the configuration; prints OK or the errors (exit 1)."""
    from hub.config import load_settings

    try:
        settings = load_settings()
    except (ValueError, LookupError) as exc:  # ConfigError lists every error
        for error in getattr(exc, "errors", None) or [str(exc)]:
            click.echo(error)
        sys.exit(1)
    try:  # what each feature checks of its own tables (routing rules, ...)
        bootstrap(settings)
    except (ValueError, LookupError) as exc:
        click.echo(str(exc))
        sys.exit(1)
    click.echo("OK")


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--user", "username", default="admin", show_default=True)
def token_create(name: str, username: str) -> None:
    """Create a token; it is printed alone on the last line, once."""
    try:
        result = _hub().bus.handle(ac.CreateToken(user=username, name=name),
                                   system_actor("cli", os.environ.get("USER", "cli")))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"token {result['token_id']} for {username} (shown once):")
    click.echo(result["token"])


@token.command("revoke")
@click.argument("token_id")
@click.option("--user", "username", default="admin", show_default=True)
def token_revoke(token_id: str, username: str) -> None:
    try:
        _hub().bus.handle(ac.RevokeToken(user=username, token_id=token_id),
                          system_actor("cli", os.environ.get("USER", "cli")))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"revoked {token_id}")


@main.group()
def projections() -> None:
    """Read models derived from the event store."""


@projections.command("rebuild")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    """Empty the read models (or one) and replay every event into them."""
    from tqdm import tqdm

    from hub.db import WRITE

    hub = _hub()
    others: dict[str, Any] = hub.services.get("rebuilders", {})  # non-SQL, e.g. search
    known = sorted([*hub.runner.projections, *others])
    if name and name not in known:
        raise click.ClickException(f"unknown projection {name!r}; known: {', '.join(known)}")
    sql_names = [n for n in ([name] if name else hub.runner.projections)
                 if n in hub.runner.projections]
    if sql_names:
        with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            hub.store.lock_for_append(conn)
            total = hub.store.last_position(conn)
            with tqdm(total=total, unit="ev", disable=None) as bar:
                count = hub.runner.rebuild(conn, sql_names, progress=bar.update)
        click.echo(f"rebuilt {', '.join(sorted(sql_names))} from {count} events")
    for other in ([name] if name in others else [] if name else sorted(others)):
        with hub.engine.connect() as conn:
            total = hub.store.last_position(conn)
        with tqdm(total=total, unit="ev", disable=None) as bar:
            count = others[other](hub, bar.update)
        click.echo(f"rebuilt {other} from {count} documents")


@main.group()
def events() -> None:
    """Inspect the event store."""


@events.command("tail")
@click.option("-n", "count", default=20, show_default=True, help="events to show first")
@click.option("--follow/--no-follow", default=True, show_default=True)
@click.option("--after", type=int, default=None, help="start after this global position")
def events_tail(count: int, follow: bool, after: int | None) -> None:
    """Print events as JSON lines, oldest first, then follow new ones."""
    hub = _hub()
    position = after if after is not None else _position_before_last(hub, count)
    while True:
        with hub.engine.connect() as conn:
            batch = hub.store.read_all(conn, position, 500)
        for e in batch:
            click.echo(json.dumps({
                "position": e.position, "stream": e.stream_id, "version": e.version,
                "type": e.type, "at": e.at.isoformat() + "Z", "meta": e.meta, "data": e.data,
            }, default=str))
            position = e.position
        if not follow and len(batch) < 500:
            return
        if not batch:
            time.sleep(0.5)


def _position_before_last(hub: Hub, count: int) -> int:
    """The position just before the last ``count`` events (positions may have holes)."""
    import sqlalchemy as sa

    from hub.db import events as events_table

    if count <= 0:
        with hub.engine.connect() as conn:
            return hub.store.last_position(conn)
    with hub.engine.connect() as conn:
        oldest = conn.execute(
            sa.select(sa.func.min(sa.text("position"))).select_from(
                sa.select(events_table.c.position).order_by(events_table.c.position.desc())
                .limit(count).subquery()
            )
        ).scalar()
    return int(oldest) - 1 if oldest else 0


@main.command("migrate")
def migrate_cmd() -> None:
    """Apply database migrations only."""
    from hub.migrate import upgrade

    upgrade(_hub().engine)
    click.echo("migrated")




def _add_feature_commands() -> None:
    from hub.features import cli_commands

    for command in cli_commands():
        main.add_command(command)


_add_feature_commands()

if __name__ == "__main__":
    main()
