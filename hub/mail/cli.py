"""``hub smtp`` (the gateway alone) and ``hub mail ...`` (inspect and retry the inbox)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
import sqlalchemy as sa

from hub.bootstrap import bootstrap


def _split(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host or "127.0.0.1", int(port)


@click.command("smtp")
@click.option("--bind", "bind", default=None, help="HOST:PORT (default HUB_SMTP)")
def smtp_command(bind: str | None) -> None:
    """Run the SMTP gateway, inbox/outbox workers and mail notifier without the web."""
    from hub.mail.gateway import start_gateway
    from hub.mail.notifier import MailNotifier
    from hub.reactors import ReactorWorker
    from hub.setup import initialise

    hub = bootstrap()
    initialise(hub)
    host, port = _split(bind or hub.settings.smtp_bind)
    reactors = ReactorWorker(hub, [r for r in hub.reactors if isinstance(r, MailNotifier)])
    reactors.start()
    stop_gateway = start_gateway(hub, host, port)
    click.echo(f"OpsHub SMTP gateway on {host}:{port}")
    done = threading.Event()

    def _stop(*_: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        done.wait()
    finally:
        stop_gateway()
        reactors.stop()
        hub.engine.dispose()


@click.group("mail")
def mail_group() -> None:
    """Inspect and re-process inbound mail."""


@mail_group.command("retry")
@click.argument("item_id", type=int, required=False)
def mail_retry(item_id: int | None) -> None:
    """Process failed inbound mail (or the one with ITEM_ID) again, now."""
    from hub.mail.gateway import InboxWorker
    from hub.mail.inbox import retry

    hub = bootstrap()
    ids = retry(hub, item_id)
    if not ids:
        raise click.ClickException("no failed message" + (f" with id {item_id}" if item_id
                                                          else ""))
    worker = InboxWorker(hub)
    while worker.run_once(ids=ids):
        pass
    _show(hub, ids)
    hub.engine.dispose()


@mail_group.command("list")
@click.option("--state", type=click.Choice(["received", "processed", "failed"]), default=None)
@click.option("-n", "limit", default=20, show_default=True)
def mail_list(state: str | None, limit: int) -> None:
    """Show the newest inbound messages with their state and result or error."""
    from hub.mail.tables import mail_inbox

    hub = bootstrap()
    query = sa.select(mail_inbox.c.id).order_by(mail_inbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(mail_inbox.c.state == state)
    with hub.engine.connect() as conn:
        ids = [int(r.id) for r in conn.execute(query).all()]
    _show(hub, list(reversed(ids)))
    hub.engine.dispose()


def _show(hub: Any, ids: list[int]) -> None:
    from hub.mail.tables import mail_inbox

    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(mail_inbox).where(mail_inbox.c.id.in_(ids))
                            .order_by(mail_inbox.c.id)).all()
    for row in rows:
        detail = row.error if row.state == "failed" else row.result
        click.echo(f"{row.id}\t{row.state}\t{row.mail_from!r}\t{row.message_id}\t{detail}")


def commands() -> list[Any]:
    return [smtp_command, mail_group]
