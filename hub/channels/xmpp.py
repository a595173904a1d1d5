"""XMPP through one hub account (slixmpp): chat messages out, people's messages in.

slixmpp is asyncio; the hub is threads. One :class:`XmppLink` owns a thread with its own
event loop and a connected client. ``send`` hands a message to that loop and waits: a
stanza written to the socket is not yet accepted, so after the message it sends an IQ
ping to the server and waits for the answer; XMPP processes a stream in order, so any
answer (a result, or an error from a server without ping) means the server took the
message. Incoming chat messages are handed to ``on_message(bare_jid, text, stanza_id)``
outside the loop (it writes to the database). The link reconnects by itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

from hub.channels.transport import Delivery, DeliveryError

log = logging.getLogger(__name__)
OnMessage = Callable[[str, str, str], None]
RECONNECT_SECONDS = 5.0


class XmppLink:
    def __init__(self, jid: str, password: str, *, server: str = "", tls: bool = True,
                 resource: str = "hub", on_message: OnMessage | None = None) -> None:
        self.jid = slixmpp.JID(jid)
        if not self.jid.resource:
            self.jid = slixmpp.JID(f"{self.jid.bare}/{resource}")
        self._password = password
        self.server = server
        self.tls = tls
        self.on_message = on_message
        self.ready = threading.Event()
        self.stopping = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: Any = None
        self._thread = threading.Thread(target=self._run, name="hub-xmpp", daemon=True)

    # -- lifecycle ------------------------------------------------------------------
    def start(self, wait: float = 0.0) -> bool:
        """Connect in the background; with ``wait``, block up to that many seconds for
        the session. True when it is up."""
        self._thread.start()
        return self.ready.wait(wait) if wait else self.ready.is_set()

    def stop(self) -> None:
        self.stopping = True
        loop = self.loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self._shutdown)
        self._thread.join(10)

    def _shutdown(self) -> None:
        assert self.loop is not None
        if self.client is not None:
            self.client.disconnect(wait=0)
            _finish_filters(self.client)
        self.loop.call_later(0.5, self.loop.stop)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        config = {"feature_mechanisms": {"unencrypted_plain": not self.tls,
                                         "unencrypted_scram": not self.tls}}
        client = slixmpp.ClientXMPP(str(self.jid), self._password, plugin_config=config)
        client.register_plugin("xep_0199")
        if not self.tls:
            client.enable_starttls = False
            client.enable_direct_tls = False
            client.enable_plaintext = True
        client.add_event_handler("session_start", self._session_start)
        client.add_event_handler("message", self._message)
        client.add_event_handler("disconnected", self._disconnected)
        client.add_event_handler("failed_auth", lambda *_: log.error(
            "XMPP: the server refused the hub's account %s", self.jid.bare))
        self.client = client
        self._connect()
        try:
            self.loop.run_forever()
        finally:
            self.ready.clear()
            close_loop(self.loop, client)

    def _connect(self) -> None:
        host, _, port = self.server.rpartition(":")
        if self.server and host:
            self.client.connect(host, int(port))
        elif self.server:
            self.client.connect(self.server, 5222)
        else:
            self.client.connect()

    async def _session_start(self, _event: Any) -> None:
        self.client.send_presence()
        try:
            await self.client.get_roster(timeout=10)
        except (IqError, IqTimeout):
            log.warning("XMPP: no roster for %s", self.jid.bare)
        log.info("XMPP session up as %s", self.jid)
        self.ready.set()

    def _disconnected(self, _event: Any) -> None:
        self.ready.clear()
        if not self.stopping and self.loop is not None:
            log.warning("XMPP link to %s lost; reconnecting", self.server or self.jid.domain)
            self.loop.call_later(RECONNECT_SECONDS, self._connect)

    def _message(self, msg: Any) -> None:
        if msg["type"] not in ("chat", "normal") or not msg["body"]:
            return
        sender = str(msg["from"].bare).lower()
        if sender == self.jid.bare.lower() or self.on_message is None:
            return
        assert self.loop is not None
        handler = self.on_message
        future = self.loop.run_in_executor(None, handler, sender, str(msg["body"]),
                                           str(msg["id"] or ""))
        future.add_done_callback(_log_failure)

    # -- sending --------------------------------------------------------------------
    def send(self, to: str, text: str, timeout: float = 20.0) -> None:
        """Send a chat message; return once the server took it, else raise."""
        if not self.ready.is_set() or self.loop is None:
            raise DeliveryError("the XMPP link is not connected")
        future = asyncio.run_coroutine_threadsafe(self._send(to, text), self.loop)
        try:
            future.result(timeout)
        except TimeoutError as exc:
            future.cancel()
            raise DeliveryError("the XMPP server did not confirm the message") from exc

    async def _send(self, to: str, text: str) -> None:
        self.client.send_message(mto=to, mbody=text, mtype="chat")
        try:
            await self.client.plugin["xep_0199"].ping(jid=slixmpp.JID(self.jid.domain),
                                                      timeout=15)
        except IqError:
            pass  # an error answer still comes after the message was processed
        except IqTimeout as exc:
            raise DeliveryError("the XMPP server did not answer after the message") from exc


def close_loop(loop: asyncio.AbstractEventLoop, client: Any) -> None:
    """Cancel what is left on a stopped loop, let it finish, then close the loop."""
    _finish_filters(client)
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def _finish_filters(client: Any) -> None:
    """Cancel slixmpp's filter task while the loop still runs: its finalizer would
    otherwise try to cancel it on a loop that is gone."""
    task = getattr(client, "_run_out_filters", None)
    if task is not None and not task.done():
        task.cancel()


def _log_failure(future: Any) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("XMPP: an incoming message could not be recorded: %r", exc)


class XmppTransport:
    def __init__(self, link: XmppLink | None) -> None:
        self.link = link

    def send(self, d: Delivery) -> str:
        if self.link is None:
            raise DeliveryError("XMPP is not configured (HUB_XMPP_JID, HUB_XMPP_PASSWORD)")
        text = f"{d.subject}\n{d.text}" if d.subject else d.text
        self.link.send(d.address, text)
        return "taken by the XMPP server"
