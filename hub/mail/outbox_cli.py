"""``hub mail outbox|show|release|discard``: every message the hub sends, and the
decisions about held mail, from the command line (the same commands as /admin/mail)."""

from __future__ import annotations

import click

from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.clitable import echo_table
from hub.domain import DomainError
from hub.mail import queries as mq
from hub.mail.commands import OUTBOX_STATES, DiscardOutgoingMail, ReleaseOutgoingMail

CLI = system_actor("cli")


def _entries_table(entries: list[mq.OutboxEntry], counts: dict[str, int]) -> None:
    """The one place the outbox's columns are chosen (``hub.clitable`` draws them)."""
    footer = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or None
    echo_table(["id", "state", "kind", "to", "subject", "attempts", "ticket", "created", "error"],
               [[e.id, e.state, e.kind, e.to, e.subject, e.attempts,
                 f"#{e.ticket_id}" if e.ticket_id else "", e.created_at, e.error or ""]
                for e in entries],
               empty="no outgoing mail", footer=footer and f"in the outbox: {footer}",
               right=["id", "attempts"], flexible=["to", "subject", "error"])


@click.command("outbox")
@click.option("--state", type=click.Choice(OUTBOX_STATES), default=None)
@click.option("--kind", default=None, help="only this kind (autoreply, correspondence, ...)")
@click.option("-n", "limit", default=50, show_default=True, type=click.IntRange(1, 500))
def mail_outbox(state: str | None, kind: str | None, limit: int) -> None:
    """Show outgoing mail, newest first: state, attempts and why it waits or failed."""
    hub = bootstrap()
    try:
        with hub.engine.connect() as conn:
            entries = mq.outbox(hub, conn, state=state, kind=kind, limit=limit)
            counts = mq.outbox_counts(conn)
        _entries_table(entries, counts)
        if counts["held"] and not hub.settings.smarthost:
            click.echo("held mail waits for a smarthost: set HUB_SMARTHOST, then "
                       "`hub mail release --all`")
    finally:
        hub.engine.dispose()


@click.command("show")
@click.argument("outbox_id", type=int)
def mail_show(outbox_id: int) -> None:
    """Print one outgoing message: its headers and text (as sent, or as it would be)."""
    hub = bootstrap()
    try:
        with hub.engine.connect() as conn:
            message = mq.outbox_message(hub, conn, outbox_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        hub.engine.dispose()
    entry = message.entry
    click.echo(f"# {entry.id} {entry.state} ({entry.kind}), {entry.attempts} attempt(s)"
               + (f": {entry.error}" if entry.error else ""))
    if not message.as_sent:
        click.echo("# not sent yet: rendered now with this command's settings "
                   "(templates, HUB_BASE_URL)")
    for name, value in message.headers:
        click.echo(f"{name}: {value}")
    click.echo("")
    click.echo(message.body.rstrip("\n"))


def _send_now(hub: Hub) -> int:
    """Deliver what is due at once (a running ``hub serve`` would within a second)."""
    from hub.mail.outbound import OutboxSender

    return OutboxSender(hub).send_due()


@click.command("release")
@click.argument("ids", type=int, nargs=-1)
@click.option("--all", "every", is_flag=True, help="release every held message")
@click.option("--kind", default=None, help="only messages of this kind")
def mail_release(ids: tuple[int, ...], every: bool, kind: str | None) -> None:
    """Let held (or failed) mail go to the smarthost: the messages IDS, or --all held."""
    if bool(ids) == every:
        raise click.UsageError("name message ids or --all (not both)")
    hub = bootstrap()
    try:
        released: list[int] = []
        while True:
            command = ReleaseOutgoingMail(ids=ids, all_held=every, kind=kind)
            batch = list(hub.bus.handle(command, CLI)["released"])
            released += batch
            if not every or not batch:
                break
        click.echo(f"released {len(released)} message(s)"
                   + (f": {', '.join(map(str, released))}" if 0 < len(released) <= 20 else ""))
        if released:
            _send_now(hub)
            with hub.engine.connect() as conn:
                counts = mq.outbox_counts(conn)
            click.echo(f"outbox now: {counts['queued']} queued, {counts['sent']} sent, "
                       f"{counts['failed']} failed, {counts['held']} held")
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        hub.engine.dispose()


@click.command("discard")
@click.argument("ids", type=int, nargs=-1, required=True)
def mail_discard(ids: tuple[int, ...]) -> None:
    """Never send the messages IDS (held, queued or failed); they stay listed."""
    hub = bootstrap()
    try:
        done = hub.bus.handle(DiscardOutgoingMail(ids=ids), CLI)["discarded"]
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        hub.engine.dispose()
    click.echo(f"discarded {len(done)} message(s)")


def add_to(group: click.Group) -> None:
    for command in (mail_outbox, mail_show, mail_release, mail_discard):
        group.add_command(command)
