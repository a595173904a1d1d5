"""The LDAP directory, read with ``ldap3``: who a user is, whether the password is
theirs, and which of the configured groups they belong to.

The password is checked by the directory itself (a bind as the user's entry),
never by comparing hashes. An empty password is refused before any bind: LDAP
treats a simple bind with a DN and no password as an *unauthenticated* bind that
succeeds, which would let anyone in. The user name goes into the search filter
only through ``escape_filter_chars``, so ``*)(uid=*`` finds nobody.

Certificates are always checked (``ldaps://`` or StartTLS), against the system's
CAs or ``HUB_LDAP_CA_FILE``, with Python's own host name matching.
"""

from __future__ import annotations

import logging
import math
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from hub.accounts.auth import DirectoryUnavailableError
from hub.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
USER_ATTRIBUTES = ("mail", "displayName", "cn", "memberOf")


def normal_dn(dn: str) -> str:
    """A DN in the form used to compare group DNs (``CN=Staff, OU=x`` = ``cn=staff,ou=x``)."""
    try:
        return ",".join(f"{attr.strip().lower()}={value.strip().lower()}"
                        for attr, value, _sep in parse_dn(dn, escape=True))
    except LDAPException:
        return dn.strip().lower()


@dataclass(frozen=True)
class DirectoryEntry:
    """What the hub takes from a user's entry; ``groups`` are normalised DNs."""

    dn: str
    mail: str
    display_name: str
    groups: frozenset[str]


class VerifiedTls(Tls):  # type: ignore[misc]
    """ldap3's ``Tls`` with the standard library's host name check (``check_hostname``).

    ldap3 2.9 turns the context's own check off and calls the deprecated
    ``ssl.match_hostname`` instead; this wraps the socket with a default context that
    verifies the chain and the name (IP addresses included) during the handshake.
    """

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> bool:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_certs_file)
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        connection.socket = context.wrap_socket(
            connection.socket, server_side=False, do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host)
        connection.tls_started = True
        return True


class Directory:
    """One configured directory (``HUB_LDAP_*``); each call opens its own connections,
    so web threads never share one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._down = False

    # -- public --------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> DirectoryEntry | None:
        """The entry when ``password`` binds as ``username``'s entry, else ``None``.

        Raises :class:`DirectoryUnavailableError` when the directory cannot answer.
        """
        if not password:
            return None  # an unauthenticated bind "succeeds" without a password

        def check(service: Connection) -> DirectoryEntry | None:
            found = self._find(service, username)
            if found is None or not self._binds(found[0], password):
                return None
            return self._entry(service, *found)

        return self._guarded("sign-in", check)

    def lookup(self, username: str) -> DirectoryEntry | None:
        """The entry of ``username`` as the search account sees it (no password), or
        ``None`` when the directory no longer has it."""

        def read(service: Connection) -> DirectoryEntry | None:
            found = self._find(service, username, sure_gone=True)
            return None if found is None else self._entry(service, *found)

        return self._guarded("re-check", read)

    @property
    def domain(self) -> str:
        """``example.org`` for ``dc=example,dc=org``: shown on the login page."""
        parts = [value for attr, value, _ in _parts(self.settings.ldap_base_dn)
                 if attr.lower() == "dc"]
        return ".".join(parts)

    # -- connections -----------------------------------------------------------

    def _server(self) -> Server:
        s = self.settings
        tls = VerifiedTls(validate=ssl.CERT_REQUIRED, ca_certs_file=s.ldap_ca_file or None)
        return Server(s.ldap_url, connect_timeout=s.ldap_timeout, tls=tls, get_info=NONE)

    def _connection(self, user: str | None, password: str | None) -> Connection:
        """An open, TLS-protected (when configured) and bound connection."""
        s = self.settings
        conn = Connection(self._server(), user=user, password=password,
                          # ldap3 packs this into SO_RCVTIMEO: whole seconds only
                          receive_timeout=max(1, math.ceil(s.ldap_timeout)),
                          raise_exceptions=False,
                          read_only=True)
        conn.open()
        if s.ldap_starttls and not s.ldap_url.lower().startswith("ldaps:") \
                and not conn.start_tls():
            raise DirectoryUnavailableError(f"StartTLS refused: {conn.result}")
        return conn

    def _service_connection(self) -> Connection:
        s = self.settings
        conn = self._connection(s.ldap_bind_dn or None, s.ldap_bind_password or None)
        if not conn.bind():
            conn.unbind()
            # A wrong search password is the operator's to fix; it says which account.
            raise DirectoryUnavailableError(
                f"the search account {s.ldap_bind_dn or '(anonymous)'} cannot bind: "
                f"{conn.result.get('description')}")
        return conn

    def _binds(self, dn: str, password: str) -> bool:
        conn = self._connection(dn, password)
        try:
            if conn.bind():
                return True
            if conn.result.get("description") == "invalidCredentials":
                return False
            raise DirectoryUnavailableError(f"bind failed: {conn.result.get('description')}")
        finally:
            conn.unbind()

    # -- reads -----------------------------------------------------------------

    def _find(self, conn: Connection, username: str, *,
              sure_gone: bool = False) -> tuple[str, dict[str, Any]] | None:
        """The one entry of ``username``, or ``None``. With ``sure_gone`` (the re-check,
        which ends sessions on ``None``) an ambiguous match raises instead: only a clean
        search that finds nobody means the user is gone. A missing base DN is a
        directory problem either way, never "no such user"."""
        s = self.settings
        query = s.ldap_user_filter.replace("{username}", escape_filter_chars(username))
        if not conn.search(s.ldap_base_dn, query, SUBTREE, attributes=list(USER_ATTRIBUTES),
                           size_limit=2) and conn.result.get("description") not in (
                               "success", "sizeLimitExceeded"):
            raise DirectoryUnavailableError(f"search failed: {conn.result.get('description')}")
        entries = [r for r in conn.response or () if r.get("type") == "searchResEntry"]
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("directory: %d entries match the user filter for %r; none is used",
                            len(entries), username)
                if sure_gone:
                    raise DirectoryUnavailableError(f"several entries match {username!r}")
            return None
        return str(entries[0]["dn"]), dict(entries[0].get("attributes") or {})

    def _entry(self, conn: Connection, dn: str, attributes: dict[str, Any]) -> DirectoryEntry:
        groups = {normal_dn(str(g)) for g in _values(attributes, "memberOf")}
        escaped = escape_filter_chars(dn)
        base = self.settings.ldap_group_base_dn or self.settings.ldap_base_dn
        if conn.search(base, f"(|(member={escaped})(uniqueMember={escaped}))", SUBTREE,
                       attributes=[], size_limit=1000):
            groups |= {normal_dn(str(r["dn"])) for r in conn.response or ()
                       if r.get("type") == "searchResEntry"}
        mail = next(iter(_values(attributes, "mail")), "")
        name = next(iter(_values(attributes, "displayName")), "") or \
            next(iter(_values(attributes, "cn")), "")
        return DirectoryEntry(dn=dn, mail=str(mail), display_name=str(name),
                              groups=frozenset(groups))

    # -- availability ----------------------------------------------------------

    def _guarded(self, what: str, work: Callable[[Connection], T]) -> T:
        """Run ``work`` with a bound search connection; every ldap3 or socket failure
        becomes :class:`DirectoryUnavailableError`, and the up/down state is logged."""
        try:
            service = self._service_connection()
            try:
                result = work(service)
            finally:
                service.unbind()
        except DirectoryUnavailableError as exc:
            self._mark(True, f"{what}: {exc}")
            raise
        except (LDAPException, OSError) as exc:
            self._mark(True, f"{what}: {type(exc).__name__}: {exc}")
            raise DirectoryUnavailableError(str(exc)) from exc
        self._mark(False)
        return result

    def _mark(self, down: bool, reason: str = "") -> None:
        """One log line when the directory goes away and one when it is back."""
        with self._lock:
            changed, self._down = self._down != down, down
        if changed and down:
            log.warning("directory %s unavailable (%s): directory users cannot sign in; "
                        "local accounts still can", self.settings.ldap_url, reason)
        elif changed:
            log.info("directory %s reachable again", self.settings.ldap_url)


def _parts(dn: str) -> list[tuple[str, str, str]]:
    try:
        return list(parse_dn(dn, escape=True)) if dn else []
    except LDAPException:
        return []


def _values(attributes: dict[str, Any], name: str) -> list[Any]:
    value = attributes.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
