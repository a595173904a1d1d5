"""Turn a bearer token, a password or a web session into an Actor; read-only lookups.

Every actor built here carries its access profile (groups and grants, see
:mod:`hub.accounts.acl`), so rights are evaluated the same way everywhere.

Web sessions are server-side: the browser's cookie holds a random session token
whose hash is a ``session`` row in the credentials table, checked on every
request. Logging out, changing the password or disabling the user revokes the
rows, so a copied cookie stops working at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Protocol

import sqlalchemy as sa

from hub.accounts.acl import access_mark_column, access_of, cached_access
from hub.accounts.secrets import hash_password, hash_token, same, token_id_of, verify_password
from hub.accounts.tables import users
from hub.actors import Actor
from hub.db import credentials
from hub.eventstore import utcnow

SESSION_LIFETIME = dt.timedelta(hours=12)

# One query per API request: the token's hash, its (enabled) user and the access mark
# that says whether this process's copy of the user's profile is current.
_TOKEN_LOOKUP = (
    sa.select(credentials.c.secret_hash, credentials.c.created_at, users.c.name,
              users.c.email, users.c.role, users.c.disabled,
              access_mark_column().label("access_mark"))
    .join(users, users.c.name == credentials.c.username)
    .where(credentials.c.id == sa.bindparam("cid"), credentials.c.kind == sa.bindparam("kind"),
           credentials.c.revoked_at.is_(None))
)

_dummy_hash: list[str] = []


class DirectoryUnavailableError(Exception):
    """The directory (HUB_LDAP_URL) cannot answer: a directory user cannot sign in
    now, which is not the same as a wrong password."""


class PasswordDirectory(Protocol):
    """Signs a user in against the directory (``hub.services["directory"]``)."""

    def sign_in(self, name: str, password: str, source: str) -> Actor | None: ...


def _dummy() -> str:
    """A real argon2 hash to verify against when the user has no password (or no
    account), so an unknown name costs as much time as a known one."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


def actor_for_user(conn: sa.Connection, name: str, source: str) -> Actor | None:
    row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None or row.disabled:
        return None
    return Actor(name=row.name, email=row.email, role=row.role, source=source,
                 rights=access_of(conn, row.name))


def _by_secret(conn: sa.Connection, token: str, kind: str, source: str) -> Actor | None:
    token_id = token_id_of(token)
    if token_id is None:
        return None
    prefix = "tok" if kind == "token" else "ses"
    row = conn.execute(_TOKEN_LOOKUP, {"cid": f"{prefix}-{token_id}", "kind": kind}).first()
    if row is None or row.disabled or not same(row.secret_hash, hash_token(token)):
        return None
    if kind == "session" and row.created_at < utcnow() - SESSION_LIFETIME:
        return None
    return Actor(name=row.name, email=row.email, role=row.role, source=source,
                 rights=cached_access(conn, row.name, row.access_mark))


def authenticate_token(conn: sa.Connection, token: str, source: str = "api") -> Actor | None:
    return _by_secret(conn, token, "token", source)


def authenticate_session(conn: sa.Connection, token: str, source: str = "web") -> Actor | None:
    """The actor of an unrevoked, unexpired web session of an enabled user."""
    return _by_secret(conn, token, "session", source)


def authenticate_password(conn: sa.Connection, name: str, password: str,
                          source: str = "web", *,
                          directory: PasswordDirectory | None = None) -> Actor | None:
    """The actor when ``password`` is ``name``'s, else ``None``.

    A local account is checked here and only here, even when a directory entry has
    the same name (local wins: nobody takes over an account by creating an entry).
    A directory account, or a name no account has yet, is asked of ``directory``
    when one is configured; that may raise :class:`DirectoryUnavailableError`.
    """
    account = conn.execute(sa.select(users.c.source, users.c.disabled)
                           .where(users.c.name == name)).first()
    if directory is not None and (account is None or account.source == "directory"):
        if account is not None and account.disabled:
            verify_password(_dummy(), password)  # disabled here: the directory is not asked
            return None
        return directory.sign_in(name, password, source)
    if account is not None and account.source == "directory":
        verify_password(_dummy(), password)  # no directory configured any more
        return None
    row = conn.execute(
        sa.select(credentials.c.secret_hash)
        .where(credentials.c.username == name, credentials.c.kind == "password")
    ).first()
    if row is None:
        verify_password(_dummy(), password)  # same cost as a real check
        return None
    if not verify_password(row.secret_hash, password):
        return None
    return actor_for_user(conn, name, source)


def open_session(conn: sa.Connection, name: str) -> str:
    """Store a new session for ``name``; the returned token goes into the cookie only."""
    session_id = secrets.token_hex(8)
    token = f"hub_{session_id}_{secrets.token_urlsafe(32)}"
    conn.execute(sa.insert(credentials).values(
        id=f"ses-{session_id}", kind="session", username=name, name="web",
        secret_hash=hash_token(token), created_at=utcnow()))
    # Expired sessions of this user are of no use to anyone: drop them.
    conn.execute(sa.delete(credentials).where(
        credentials.c.username == name, credentials.c.kind == "session",
        credentials.c.created_at < utcnow() - SESSION_LIFETIME))
    return token


def close_session(conn: sa.Connection, token: str) -> None:
    token_id = token_id_of(token)
    if token_id is None:
        return
    conn.execute(sa.update(credentials).where(
        credentials.c.id == f"ses-{token_id}", credentials.c.kind == "session",
        credentials.c.revoked_at.is_(None)).values(revoked_at=utcnow()))


def revoke_credentials(conn: sa.Connection, name: str) -> None:
    """End every session and token of ``name`` (password changed, user disabled)."""
    conn.execute(sa.update(credentials).where(
        credentials.c.username == name, credentials.c.kind.in_(("session", "token")),
        credentials.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
