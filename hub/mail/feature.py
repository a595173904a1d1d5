"""Mail feature wiring: template handlers and read model, the notifier reactor,
the admin API/page, and the ``hub smtp`` / ``hub mail`` commands.

The SMTP gateway, inbox worker, outbox sender and IMAP pollers are threads
started by ``start_gateway`` (called by ``hub serve`` and ``hub smtp``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Register this feature's command handlers, projections and reactions on the hub."""
    from hub.mail import handlers
    from hub.mail.notifier import MailNotifier

    handlers.register(hub.bus)
    hub.runner.register(handlers.MailTemplatesProjection())
    hub.reactors.append(MailNotifier())


def blueprints() -> list[Any]:
    """This feature's Flask blueprints."""
    from hub.mail.web import api, pages

    return [api, pages]


def init_app(app: Flask) -> None:
    """The JSON API authenticates by bearer token, so it is exempt from form CSRF."""
    from hub.web.security import csrf

    blueprint = app.blueprints.get("mail_api")
    if blueprint is not None:
        csrf.exempt(blueprint)


def cli_commands() -> list[Any]:
    from hub.mail.cli import commands

    return commands()
