"""``hub smtp`` (the gateway alone) and ``hub mail ...`` (inspect and retry the inbox,
send the wiki digests now)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from hub.bootstrap import bootstrap
from hub.clitable import echo_table
from hub.mail import queries as mail_queries


def _split(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host or "127.0.0.1", int(port)


@click.command("smtp")
@click.option("--bind", "bind", default=None, help="HOST:PORT (default HUB_SMTP)")
def smtp_command(bind: str | None) -> None:
    """Run the SMTP gateway, inbox/outbox workers and mail notifier without the web.

    It brings the schema up to date; creating the first queue and admin is ``hub init``'s
    (or ``hub serve``'s) job.
    """
    from hub.mail.gateway import start_gateway
    from hub.mail.notifier import MailNotifier
    from hub.migrate import upgrade
    from hub.reactors import ReactorWorker

    hub = bootstrap()
    upgrade(hub.engine)
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
    """Inspect and re-process inbound mail; see, release or discard outgoing mail; send the
    wiki digests."""


@mail_group.command("digest")
def mail_digest() -> None:
    """Queue the due wiki subscription digests now (the scheduler does this hourly).

    They are delivered by the outbox sender of a running ``hub serve`` / ``hub smtp``,
    or here at once when a smarthost is configured.
    """
    from hub.mail.digest import send_digests
    from hub.mail.outbound import OutboxSender

    hub = bootstrap()
    queued = send_digests(hub)
    if queued and hub.settings.smarthost:
        OutboxSender(hub).send_due()
    click.echo(f"queued {queued} digest(s)")
    hub.engine.dispose()


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
    with hub.engine.connect() as conn:
        _show(mail_queries.inbox(conn, ids=ids, limit=len(ids)))
    hub.engine.dispose()


@mail_group.command("list")
@click.option("--state", type=click.Choice(["received", "processed", "failed"]), default=None)
@click.option("-n", "limit", default=20, show_default=True)
def mail_list(state: str | None, limit: int) -> None:
    """Show the newest inbound messages with their state and result or error."""
    hub = bootstrap()
    with hub.engine.connect() as conn:
        entries = mail_queries.inbox(conn, state=state, limit=limit)
    _show(entries)
    hub.engine.dispose()


def _show(entries: list[mail_queries.InboxEntry]) -> None:
    echo_table(["id", "state", "from", "message-id", "result"],
               [[e.id, e.state, _sender(e.mail_from), e.message_id or "", _outcome(e.detail)]
                for e in entries],
               empty="no inbound mail", right=["id"], flexible=["from", "message-id", "result"])


def _sender(mail_from: str | None) -> str:
    return "<> (null sender)" if mail_from == "" else mail_from or "?"


def _outcome(detail: Any) -> str:
    """A stored result for people: ``created #12``, ``ignored: loop``, or the error."""
    if not isinstance(detail, dict):
        return " ".join(str(detail or "").split())
    words = [str(detail.get("action", "?"))]
    if detail.get("ticket_id") is not None:
        words.append(f"#{detail['ticket_id']}")
    extra = {k: v for k, v in detail.items() if k not in ("action", "ticket_id", "reason")}
    words += [f"{k}={v}" for k, v in sorted(extra.items())]
    return " ".join(words) + (f": {detail['reason']}" if detail.get("reason") else "")


def commands() -> list[Any]:
    return [smtp_command, mail_group]
