"""Real servers for notification-channel tests: a webhook receiver, prosody, Kannel.

Importable from any test (``import channel_support``); the fixtures below are exported
by ``tests/integration/channels/conftest.py``, and another folder gets them the same way,
in its conftest: ``from channel_support import kannel_factory, prosody, webhook_receiver``.
Every server listens on 127.0.0.1 only, keeps its configuration and data in a
throw-away directory, and is stopped (and waited for) at the end.

A hub under test uses them through its settings, e.g.
``hub.settings = dataclasses.replace(hub.settings, webhook_secret=receiver.secret)`` or,
for a ``hub serve`` process, the environment from ``prosody.hub_env(...)`` /
``kannel.hub_env()``; ``hub.channels.feature.make_sender(hub, link)`` gives a sender whose
``send_due()`` delivers what is due now (``xmpp_link(hub)`` the XMPP link to pass).

Fixture API
-----------
``webhook_receiver`` -> :class:`WebhookReceiver`
    ``.url`` (POST here), ``.secret`` (give it to the hub as ``HUB_WEBHOOK_SECRET``),
    ``.requests`` (list of :class:`ReceivedHook`: ``path``, ``headers``, ``body`` (dict),
    ``signature_ok``), ``.statuses`` (a list of status codes to answer in turn before
    200, e.g. ``[500]`` to make the first attempt fail), ``.wait_for(n, timeout)``.
``prosody`` -> :class:`Prosody`
    ``.domain`` (``hub.test``), ``.port``, ``.register(user, password)`` -> JID,
    ``.client(jid, password)`` -> :class:`XmppTestClient` (connected; ``.messages``
    received ``(from_bare_jid, body)``, ``.wait_for(predicate, timeout)``,
    ``.send(to, body)``, ``.stop()``), ``.hub_env(jid, password)`` -> the ``HUB_XMPP_*``
    settings for a hub that logs in as that account.
``kannel`` -> :class:`Kannel` (bearerbox + smsbox + ``fakesmsc``)
    ``.sendsms_url``, ``.user``, ``.password``, ``.hub_env()`` -> the ``HUB_KANNEL_*``
    settings; ``.mt_messages()`` the MT messages the fake SMSC received as
    ``(sender, receiver, text)``; ``.wait_for_mt(predicate, timeout)``;
    ``.inject_mo(sender, text)`` sends an MO message that Kannel hands to the sms-service
    ``get-url``, which is ``.inbound_url`` + ``?from=%p&text=%a&token=...``. The hub must
    be listening first, so the fixture is a factory: ``kannel_factory(inbound_url)`` ->
    a started Kannel whose ``get-url`` calls ``inbound_url`` (e.g.
    ``f"{server.url}/api/v1/channels/sms/inbound"``); give the hub ``.hub_env()``
    (``HUB_KANNEL_INBOUND_TOKEN`` is ``.token``).

A missing binary skips with a clear reason, except under CI (``CI`` set, as ``make
test`` does), where it fails: the servers are part of what the suite must prove.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

PROSODY = "/usr/bin/prosody"
PROSODYCTL = "/usr/bin/prosodyctl"
BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


def require(*binaries: str) -> None:
    """Skip (fail under CI) when a server binary is missing."""
    missing = [b for b in binaries if not os.path.exists(b)]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (scripts/system-deps.sh installs it)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# -- webhooks ---------------------------------------------------------------------
@dataclass
class ReceivedHook:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]
    signature_ok: bool


class WebhookReceiver:
    """An HTTP server that records every POST and checks its HMAC signature."""

    def __init__(self, secret: str = "webhook-test-secret") -> None:
        self.secret = secret
        self.requests: list[ReceivedHook] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                stamp = self.headers.get("X-Hub-Timestamp", "")
                mac = hmac.new(receiver.secret.encode(), stamp.encode() + b"." + raw,
                               hashlib.sha256).hexdigest()
                given = self.headers.get("X-Hub-Signature-256", "")
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                receiver.requests.append(ReceivedHook(
                    self.path, dict(self.headers.items()), raw, body,
                    hmac.compare_digest(given, f"sha256={mac}")))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> list[ReceivedHook]:
        wait_until(lambda: len(self.requests) >= count, timeout, f"{count} webhook(s)")
        return self.requests


# -- XMPP -------------------------------------------------------------------------
PROSODY_CFG = """
pidfile = "{root}/prosody.pid"
data_path = "{root}/data"
run_as_root = true
daemonize = false
log = {{ info = "{root}/prosody.log"; error = "{root}/prosody.err" }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
modules_enabled = {{ "roster"; "saslauth"; "disco"; "ping"; "posix"; "offline" }}
modules_disabled = {{ "s2s"; "tls" }}
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
storage = "internal"
VirtualHost "{domain}"
"""


class XmppTestClient:
    """A slixmpp client in its own thread that records the chat messages it receives."""

    def __init__(self, jid: str, password: str, port: int) -> None:
        import asyncio

        import slixmpp

        self.messages: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        config = {"feature_mechanisms": {"unencrypted_plain": True, "unencrypted_scram": True}}

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            client = slixmpp.ClientXMPP(jid + "/test", password, plugin_config=config)
            client.enable_starttls = False
            client.enable_direct_tls = False
            client.enable_plaintext = True

            async def start(_event: Any) -> None:
                client.send_presence()
                await client.get_roster()
                self.ready.set()

            def message(msg: Any) -> None:
                if msg["type"] in ("chat", "normal") and msg["body"]:
                    self.messages.put((str(msg["from"].bare), str(msg["body"])))

            client.add_event_handler("session_start", start)
            client.add_event_handler("message", message)
            self.client = client
            client.connect("127.0.0.1", port)
            self.loop.run_forever()
            from hub.channels.xmpp import close_loop

            close_loop(self.loop, client)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        if not self.ready.wait(30):
            raise AssertionError(f"XMPP test client {jid} did not log in")

    def send(self, to: str, body: str) -> None:
        self.loop.call_soon_threadsafe(
            lambda: self.client.send_message(mto=to, mbody=body, mtype="chat"))

    def wait_for(self, predicate: Callable[[str, str], bool],
                 timeout: float = 30) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        for seen in self.seen:
            if predicate(*seen):
                return seen
        while time.monotonic() < deadline:
            try:
                item = self.messages.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(item)
            if predicate(*item):
                return item
        raise AssertionError(f"no matching XMPP message within {timeout}s: {self.seen}")

    def stop(self) -> None:
        def shutdown() -> None:
            self.client.disconnect(wait=0)
            task = getattr(self.client, "_run_out_filters", None)
            if task is not None and not task.done():
                task.cancel()  # now, while the loop runs (its finalizer cannot later)
            self.loop.call_later(0.5, self.loop.stop)

        if self.loop.is_running():
            self.loop.call_soon_threadsafe(shutdown)
        self.thread.join(10)


@dataclass
class Prosody:
    root: Path
    domain: str = "hub.test"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    clients: list[XmppTestClient] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "prosody.cfg.lua"

    def start(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        self.config.write_text(PROSODY_CFG.format(root=self.root, port=self.port,
                                                  domain=self.domain))
        self.proc = subprocess.Popen([PROSODY, "--config", str(self.config), "-F"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc = self.proc

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError("prosody exited: " + self.log())
            return port_open(self.port)

        wait_until(up, 30, "prosody to listen")

    def log(self) -> str:
        return "".join(p.read_text()[-3000:] for p in
                       (self.root / "prosody.log", self.root / "prosody.err") if p.exists())

    def register(self, user: str, password: str) -> str:
        subprocess.run([PROSODYCTL, "--config", str(self.config), "register", user,
                        self.domain, password], check=True, capture_output=True, timeout=60)
        return f"{user}@{self.domain}"

    def client(self, jid: str, password: str) -> XmppTestClient:
        client = XmppTestClient(jid, password, self.port)
        self.clients.append(client)
        return client

    def hub_env(self, jid: str, password: str) -> dict[str, str]:
        return {"HUB_XMPP_JID": jid, "HUB_XMPP_PASSWORD": password,
                "HUB_XMPP_SERVER": f"127.0.0.1:{self.port}", "HUB_XMPP_TLS": "0"}

    def stop(self) -> None:
        for client in self.clients:
            client.stop()
        _stop(self.proc)


# -- SMS (Kannel) -----------------------------------------------------------------
KANNEL_CONF = """
group = core
admin-port = {admin_port}
admin-password = admin-secret
admin-interface = 127.0.0.1
smsbox-port = {smsbox_port}
smsbox-interface = 127.0.0.1
log-file = "{root}/bearerbox.log"
log-level = 1
box-allow-ip = 127.0.0.1
access-log = "{root}/access.log"
store-type = file
store-location = "{root}/kannel.store"

group = smsc
smsc = fake
smsc-id = fake
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{root}/smsbox.log"
log-level = 1

group = sendsms-user
username = {user}
password = {password}
concatenation = true
max-messages = 3

group = sms-service
keyword = fixtureready
text = "ready"
max-messages = 0

group = sms-service
keyword = default
catch-all = true
get-url = "{get_url}"
max-messages = 0
omit-empty = true
"""


class Kannel:
    """bearerbox + smsbox with a fake SMSC, and ``fakesmsc`` as the phone network."""

    def __init__(self, root: Path, inbound_url: str, token: str = "kannel-inbound-token") -> None:
        self.root = root
        self.admin_port, self.smsbox_port = free_port(), free_port()
        self.smsc_port, self.sendsms_port = free_port(), free_port()
        self.user, self.password = "hub", "sms-secret"
        self.token = token
        self.inbound_url = inbound_url
        self.sendsms_url = f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.fake: subprocess.Popen[bytes] | None = None
        self.mt_lines: list[str] = []
        self.hub_number = "4000"

    def start(self) -> None:
        get_url = (f"{self.inbound_url}?from=%p&text=%a&token={self.token}"
                   .replace('"', "%22"))
        conf = self.root / "kannel.conf"
        conf.write_text(KANNEL_CONF.format(
            root=self.root, admin_port=self.admin_port, smsbox_port=self.smsbox_port,
            smsc_port=self.smsc_port, sendsms_port=self.sendsms_port, user=self.user,
            password=self.password, get_url=get_url))
        bearer = subprocess.Popen([BEARERBOX, str(conf)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.procs.append(bearer)
        wait_until(lambda: self._alive(bearer) and port_open(self.smsbox_port), 30,
                   "bearerbox")
        smsbox = subprocess.Popen([SMSBOX, str(conf)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.procs.append(smsbox)
        wait_until(lambda: self._alive(smsbox) and port_open(self.sendsms_port), 30, "smsbox")
        self._start_fake()

    def _alive(self, proc: subprocess.Popen[bytes]) -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited: {self.logs()}")
        return True

    def _start_fake(self, *mo: str) -> None:
        """The fake phone network: sends ``mo`` lines, prints the MT messages it gets."""
        # fakesmsc sends its ``-m`` messages, then stays connected printing what it gets;
        # with nothing to say it says ``fixtureready``, a keyword Kannel answers itself.
        lines = mo or (f"0000 {self.hub_number} text fixtureready",)
        args = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "3600",
                "-m", "1", *lines]
        fake = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.fake = fake

        def read() -> None:
            assert fake.stdout is not None
            for raw in fake.stdout:
                self.mt_lines.append(raw.decode(errors="replace").rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()
        wait_until(lambda: self._smsc_online(), 30, "the fake SMSC to connect")

    def _smsc_online(self) -> bool:
        import requests

        try:
            status = requests.get(f"http://127.0.0.1:{self.admin_port}/status.txt",
                                  params={"password": "admin-secret"}, timeout=5).text
        except requests.RequestException:
            return False
        return "online" in status.split("SMSC connections:", 1)[-1]

    def hub_env(self) -> dict[str, str]:
        return {"HUB_KANNEL_SENDSMS_URL": self.sendsms_url, "HUB_KANNEL_USER": self.user,
                "HUB_KANNEL_PASSWORD": self.password, "HUB_KANNEL_FROM": self.hub_number,
                "HUB_KANNEL_INBOUND_TOKEN": self.token}

    def mt_messages(self) -> list[tuple[str, str, str]]:
        """``(sender, receiver, text)`` of every MT message the fake SMSC printed."""
        from urllib.parse import unquote_plus

        out = []
        for line in list(self.mt_lines):
            if "Got message" not in line or "<" not in line:
                continue
            parts = line.split("<", 1)[1].rstrip(">").split(" ", 3)
            if len(parts) == 4 and parts[2] in ("text", "data", "ucs2"):
                text = unquote_plus(parts[3]) if parts[2] != "text" else parts[3]
                out.append((parts[0], parts[1], text))
        return out

    def wait_for_mt(self, predicate: Callable[[str, str, str], bool],
                    timeout: float = 30) -> tuple[str, str, str]:
        def found() -> tuple[str, str, str] | None:
            return next((m for m in self.mt_messages() if predicate(*m)), None)

        try:
            result: tuple[str, str, str] = wait_until(found, timeout, "an MT message")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: fakesmsc printed {self.mt_lines[-20:]}") from None
        return result

    def inject_mo(self, sender: str, text: str) -> None:
        """An SMS from ``sender`` to the hub's number, through the fake SMSC."""
        _stop(self.fake)
        self._start_fake(f"{sender} {self.hub_number} text {text}")

    def logs(self) -> str:
        return "".join(p.read_text()[-2000:] for p in
                       (self.root / "bearerbox.log", self.root / "smsbox.log") if p.exists())

    def stop(self) -> None:
        _stop(self.fake)
        for proc in reversed(self.procs):
            _stop(proc)


# -- fixtures (exported by tests/integration/channels/conftest.py) ------------------
@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def prosody() -> Iterator[Prosody]:
    require(PROSODY, PROSODYCTL)
    root = Path(tempfile.mkdtemp(prefix="hub-prosody-"))
    server = Prosody(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def kannel_factory() -> Iterator[Callable[[str], Kannel]]:
    require(BEARERBOX, SMSBOX, FAKESMSC)
    started: list[Kannel] = []
    roots: list[Path] = []

    def make(inbound_url: str) -> Kannel:
        root = Path(tempfile.mkdtemp(prefix="hub-kannel-"))
        roots.append(root)
        server = Kannel(root, inbound_url)
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)
