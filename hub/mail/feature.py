"""Mail feature wiring: template, digest and outbox handlers, the templates' read model,
the notifier reactor, the wiki digest job, the admin API and pages (templates, outbox),
and the ``hub smtp`` / ``hub mail`` commands.

The SMTP gateway, inbox worker, outbox sender and IMAP pollers are threads
started by ``start_gateway`` (through :func:`services` for ``hub serve``, and by
``hub smtp``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.mail import events as events  # every event type registered at start-up

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "ops", "runbooks", "tickets", "wiki")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Register this feature's command handlers, projections and reactions on the hub."""
    from hub.mail import digest, handlers, outbox
    from hub.mail.notifier import MailNotifier

    digest.register_job()
    handlers.register(hub.bus, lambda: hub.settings)
    outbox.register(hub.bus, lambda: hub.settings)
    hub.runner.register(handlers.MailTemplatesProjection())
    hub.reactors.append(MailNotifier())


def blueprints() -> list[Any]:
    """This feature's Flask blueprints."""
    from hub.mail.outbox_web import outbox_api, outbox_pages
    from hub.mail.web import api, pages

    return [api, pages, outbox_api, outbox_pages]


def init_app(app: Flask) -> None:
    """The JSON API authenticates by bearer token, so it is exempt from form CSRF."""
    from hub.webkit.security import csrf

    for name in ("mail_api", "mail_outbox_api"):
        blueprint = app.blueprints.get(name)
        if blueprint is not None:
            csrf.exempt(blueprint)


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """The outbox API's paths and schemas for ``/api/v1/openapi.json``."""
    from hub.mail.openapi import OUTBOX_PATHS, OUTBOX_SCHEMAS

    return OUTBOX_PATHS, OUTBOX_SCHEMAS


def cli_commands() -> list[Any]:
    from hub.mail.cli import commands, mail_group
    from hub.mail.outbox_cli import add_to

    add_to(mail_group)  # hub mail outbox|show|release|discard
    return commands()


def services(hub: Hub, *, smtp: bool = True, smtp_bind: str | None = None,
             **_options: Any) -> list[Callable[[], None]]:
    """``hub serve``'s mail side: the SMTP gateway on ``smtp_bind`` (default
    ``settings.smtp_bind``) with the inbox, outbox and IMAP workers; nothing when
    ``smtp`` is false. Returns the function stopping them."""
    if not smtp:
        return []
    from hub.mail.gateway import start_gateway

    host, _, port = (smtp_bind or hub.settings.smtp_bind).rpartition(":")
    host = host or "127.0.0.1"
    stop = start_gateway(hub, host, int(port))
    print(f"OpsHub SMTP gateway on {host}:{port}", flush=True)
    return [stop]
