"""Channels feature wiring: the Notify handlers, the delivery queue, the sender and the
XMPP link (started by :func:`services` in the process that runs the hub's services),
Kannel's inbound endpoint and the delivery list."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.channels import events as events  # every event type registered at start-up

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "mail", "tickets")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub
    from hub.channels.sender import ChannelSender
    from hub.channels.xmpp import XmppLink

log = logging.getLogger(__name__)


def register(hub: Hub) -> None:
    from hub.channels.handlers import ChannelHandlers
    from hub.channels.handlers import register as register_handlers
    from hub.channels.projections import DeliveriesProjection

    handlers = ChannelHandlers()
    hub.services["channels.handlers"] = handlers
    register_handlers(hub.bus, handlers)
    hub.runner.register(DeliveriesProjection())
    hub.bus.subscribe(lambda event: _wake(hub, event.type))


def _wake(hub: Hub, event_type: str) -> None:
    """A new notification in this process: the sender need not wait for its poll."""
    if event_type == "NotificationQueued":
        wakeup = hub.services.get("channels.wakeup")
        if wakeup is not None:
            wakeup.set()


def blueprints() -> list[Any]:
    from hub.channels.api import bp

    return [bp]


def init_app(app: Flask) -> None:
    """Kannel and bearer-token callers send no CSRF token."""
    from hub.channels.api import bp
    from hub.webkit.security import csrf

    csrf.exempt(bp)


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    from hub.channels.openapi import PATHS, SCHEMAS

    return PATHS, SCHEMAS


def xmpp_link(hub: Hub) -> XmppLink | None:
    """The hub's XMPP account as a link whose incoming messages become replies, or None
    when ``HUB_XMPP_JID`` is unset."""
    settings = hub.settings
    if not settings.xmpp_jid:
        return None
    from hub.actors import system_actor
    from hub.channels.commands import ReceiveChannelReply
    from hub.channels.xmpp import XmppLink

    def received(sender: str, text: str, stanza_id: str) -> None:
        key = f"xmpp-inbound:{sender}:{stanza_id}" if stanza_id else None
        hub.bus.handle(ReceiveChannelReply(via="xmpp", sender=sender, text=text),
                       system_actor("system", name="xmpp"), idempotency_key=key)

    return XmppLink(settings.xmpp_jid, settings.xmpp_password, server=settings.xmpp_server,
                    tls=settings.xmpp_tls, resource=f"hub-{settings.node_name}"[:60],
                    on_message=received)


def make_sender(hub: Hub, link: XmppLink | None = None, **options: Any) -> ChannelSender:
    """A sender with the real transports from the settings (tests call ``send_due``)."""
    from hub.channels.mailer import MailTransport
    from hub.channels.sender import ChannelSender
    from hub.channels.sms import KannelTransport
    from hub.channels.webhook import WebhookTransport
    from hub.channels.xmpp import XmppTransport

    s = hub.settings
    timeout = float(s.extra.get("channels", {}).get("webhook_timeout", 10.0))
    transports: dict[str, Any] = {
        "mail": MailTransport(hub),
        "webhook": WebhookTransport(s.webhook_secret, s.public_url, timeout=timeout),
        "sms": KannelTransport(s.kannel_sendsms_url, s.kannel_user, s.kannel_password,
                               s.kannel_from),
        "xmpp": XmppTransport(link),
    }
    return ChannelSender(hub, transports, **options)


def services(hub: Hub, **_options: Any) -> list[Callable[[], None]]:
    """``hub serve``'s channel side: the XMPP link (when configured) and the sender."""
    link = xmpp_link(hub)
    stops: list[Callable[[], None]] = []
    if link is not None:
        link.start()
        stops.append(link.stop)
        log.info("XMPP link as %s starting", hub.settings.xmpp_jid)
    sender = make_sender(hub, link)
    hub.services["channels.sender"] = sender
    sender.start()
    stops.append(sender.stop)
    return stops
