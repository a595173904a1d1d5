"""Accounts' read face: the one place actors are built, user reads, and the rights API.

Why one module: every entrypoint (web session, API token, mail sender, scheduler
job) must build its actor the same way, with the access profile attached, or the
same person would hold different rights depending on how they came in. Other
features read users through the small frozen :class:`UserInfo` here instead of
the ``users`` table, so that table stays accounts' own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.accounts import totp_store as _totp_store
from hub.accounts.acl import groups_of, load_access
from hub.accounts.auth import DirectoryUnavailableError, PasswordDirectory, actor_for_user
from hub.accounts.auth import authenticate_password as _authenticate_password
from hub.accounts.auth import authenticate_session as _authenticate_session
from hub.accounts.auth import authenticate_token as _authenticate_token
from hub.accounts.contacts import Contacts, quiet_until
from hub.accounts.rights import (
    CUSTOMER_CAP,
    GLOBAL,
    QUEUE_RIGHTS,
    RIGHT_DESCRIPTIONS,
    TICKET_ROLES,
    AccessProfile,
    is_unrestricted,
    mentioned_scopes,
    profile_of,
    profile_rights,
    rights_for,
    rights_on,
    roles_in,
)
from hub.accounts.tables import (
    acl_grants,
    api_tokens,
    group_members,
    groups,
    user_contacts,
    users,
)
from hub.accounts.totp_store import SecondFactorInfo
from hub.actors import Actor
from hub.db import credentials

__all__ = [
    "CUSTOMER_CAP", "GLOBAL", "QUEUE_RIGHTS", "RIGHT_DESCRIPTIONS", "TICKET_ROLES",
    "AccessProfile", "Contacts", "DirectoryUnavailableError", "GrantInfo", "GroupInfo",
    "SecondFactorInfo", "TokenInfo", "UserInfo",
    "active_tokens", "actor_for_email", "actor_for_name", "actor_for_session",
    "actor_for_token", "all_grants", "authenticate_password", "contacts_of", "emails_of",
    "grants_in", "groups_of", "has_password", "is_unrestricted", "last_logins",
    "list_groups", "list_users", "load_access", "mentioned_scopes", "password_holders",
    "profile_of", "profile_rights", "quiet_until", "rights_for", "rights_on", "roles_in",
    "second_factor", "second_factor_states", "stored_contacts", "user_by_contact",
    "user_by_email", "user_by_name",
]

STAFF_ROLES = ("admin", "staff")


@dataclass(frozen=True)
class UserInfo:
    """What other features may know about a user (never credentials)."""

    name: str
    email: str
    role: str
    display_name: str
    disabled: bool
    source: str = "local"  # "directory": signs in against HUB_LDAP_URL

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


@dataclass(frozen=True)
class GroupInfo:
    name: str
    description: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class GrantInfo:
    scope: str
    principal: str
    right_name: str


def _info(row: Any) -> UserInfo | None:
    if row is None:
        return None
    return UserInfo(name=row.name, email=row.email, role=row.role,
                    display_name=row.display_name, disabled=bool(row.disabled),
                    source=row.source)


_USER_COLUMNS = (users.c.name, users.c.email, users.c.role, users.c.display_name,
                 users.c.disabled, users.c.source)


def actor_for_name(conn: sa.Connection, name: str, source: str) -> Actor | None:
    """The enabled user ``name`` as an actor with its access profile, else ``None``."""
    return actor_for_user(conn, name, source)


def actor_for_email(conn: sa.Connection, email: str, source: str) -> Actor | None:
    """The enabled user whose address ``email`` is (case-insensitive), with its profile.

    When several users share an address the first by name wins, so the choice is
    stable between calls.
    """
    info = user_by_email(conn, email)
    if info is None or info.disabled:
        return None
    return actor_for_user(conn, info.name, source)


def actor_for_token(conn: sa.Connection, token: str, source: str = "api") -> Actor | None:
    """The actor of a bearer token, or ``None`` when it is unknown, revoked or disabled."""
    return _authenticate_token(conn, token, source)


def actor_for_session(conn: sa.Connection, token: str, source: str = "web") -> Actor | None:
    """The actor of a web session token, or ``None`` once it was revoked or expired."""
    return _authenticate_session(conn, token, source)


def authenticate_password(conn: sa.Connection, name: str, password: str,
                          source: str = "web", *,
                          directory: PasswordDirectory | None = None) -> Actor | None:
    """The actor when ``password`` is ``name``'s, else ``None``.

    ``directory`` (the hub's ``services["directory"]``, set when HUB_LDAP_URL is)
    signs in directory users; a local account of the same name wins. Raises
    :class:`DirectoryUnavailableError` when a directory user cannot be checked now.
    """
    return _authenticate_password(conn, name, password, source, directory=directory)


def user_by_name(conn: sa.Connection, name: str) -> UserInfo | None:
    return _info(conn.execute(sa.select(*_USER_COLUMNS).where(users.c.name == name)).first())


def user_by_email(conn: sa.Connection, email: str) -> UserInfo | None:
    """The user with this address (stored lower-case), first by name; ``None`` if none."""
    return _info(conn.execute(
        sa.select(*_USER_COLUMNS).where(users.c.email == email.strip().lower())
        .order_by(users.c.name).limit(1)).first())


def emails_of(conn: sa.Connection, names: Iterable[str]) -> dict[str, str]:
    """``name -> email`` for the given user names that exist (disabled ones included)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(users.c.name, users.c.email).where(users.c.name.in_(wanted)))
    return {r.name: r.email for r in rows}


def list_users(conn: sa.Connection, *, roles: Iterable[str] | None = None,
               include_disabled: bool = True) -> list[UserInfo]:
    """Users ordered by name, optionally only some roles and only enabled ones."""
    query = sa.select(*_USER_COLUMNS).order_by(users.c.name)
    if roles is not None:
        query = query.where(users.c.role.in_(list(roles)))
    if not include_disabled:
        query = query.where(users.c.disabled.is_(False))
    return [u for u in (_info(r) for r in conn.execute(query)) if u is not None]


def any_admin(conn: sa.Connection) -> bool:
    """Whether at least one admin account exists (first-run set-up checks this)."""
    return conn.execute(sa.select(users.c.name).where(users.c.role == "admin")
                        .limit(1)).first() is not None


def active_tokens(conn: sa.Connection, username: str) -> list[TokenInfo]:
    """The user's unrevoked API tokens, oldest first (ids and names only)."""
    rows = conn.execute(sa.select(api_tokens).where(
        api_tokens.c.username == username, api_tokens.c.revoked_at.is_(None))
        .order_by(api_tokens.c.created_at))
    return [TokenInfo(r.token_id, r.name, r.created_at, r.revoked_at) for r in rows]


def list_groups(conn: sa.Connection) -> list[GroupInfo]:
    """Every group with its members, for the access admin page."""
    members: dict[str, list[str]] = {}
    for m in conn.execute(sa.select(group_members).order_by(group_members.c.username)):
        members.setdefault(m.group_name, []).append(m.username)
    return [GroupInfo(r.name, r.description, tuple(members.get(r.name, ())))
            for r in conn.execute(sa.select(groups).order_by(groups.c.name))]


def grants_in(conn: sa.Connection, scopes: Iterable[str]) -> list[GrantInfo]:
    """Grants recorded on the given scopes (queue keys or ``*``), ordered for display."""
    rows = conn.execute(sa.select(acl_grants).where(acl_grants.c.scope.in_(sorted(set(scopes))))
                        .order_by(acl_grants.c.scope, acl_grants.c.principal))
    return [GrantInfo(r.scope, r.principal, r.right_name) for r in rows]


def has_password(conn: sa.Connection, name: str) -> bool:
    """Whether ``name`` can log in with a password (one was set); never the hash."""
    return conn.execute(sa.select(credentials.c.id).where(
        credentials.c.username == name, credentials.c.kind == "password")).first() is not None


def all_grants(conn: sa.Connection) -> list[GrantInfo]:
    """Every grant on every scope, ordered by scope, principal and right."""
    rows = conn.execute(sa.select(acl_grants).order_by(
        acl_grants.c.scope, acl_grants.c.principal, acl_grants.c.right_name))
    return [GrantInfo(r.scope, r.principal, r.right_name) for r in rows]


def password_holders(conn: sa.Connection) -> frozenset[str]:
    """Names of the users who have a password (one query for a whole user list)."""
    return frozenset(conn.execute(sa.select(credentials.c.username).where(
        credentials.c.kind == "password")).scalars())


def last_logins(conn: sa.Connection) -> dict[str, dt.datetime]:
    """``name -> time of the newest web login`` (UTC) for users who logged in.

    Read from the stored sessions: each login keeps one, and old ones are pruned
    only when the same user logs in again, so the newest is always there.
    """
    rows = conn.execute(sa.select(credentials.c.username, sa.func.max(credentials.c.created_at))
                        .where(credentials.c.kind == "session")
                        .group_by(credentials.c.username))
    return {str(name): at for name, at in rows}


def stored_contacts(conn: sa.Connection, name: str) -> dict[str, Any]:
    """``{"contacts": {...as the user gave them}, "quiet_hours": {...} | None}``."""
    row = conn.execute(sa.select(user_contacts).where(user_contacts.c.name == name)).first()
    if row is None:
        return {"contacts": {}, "quiet_hours": None}
    return {"contacts": dict(row.contacts), "quiet_hours": row.quiet_hours}


def contacts_of(conn: sa.Connection, name: str) -> Contacts | None:
    """Where each channel reaches ``name`` (mail: their contact address, else the
    account's), or ``None`` when there is no such user. Disabled users are reached
    nowhere: nobody is paged through an account that was switched off."""
    info = user_by_name(conn, name)
    if info is None:
        return None
    if info.disabled:
        return Contacts(user=name, mail=None, webhook=None, xmpp=None, sms=None)
    stored = stored_contacts(conn, name)
    given = stored["contacts"]
    return Contacts(user=name, mail=given.get("mail") or info.email or None,
                    webhook=given.get("webhook"), xmpp=given.get("xmpp"),
                    sms=given.get("sms"), webhook_format=given.get("webhook_format", "generic"),
                    quiet_hours=stored["quiet_hours"])


def user_by_contact(conn: sa.Connection, via: str, address: str) -> str | None:
    """The enabled user whose ``xmpp`` or ``sms`` contact is ``address`` (first by name),
    so an inbound reply acts as that person; ``None`` for anyone else."""
    column = {"xmpp": user_contacts.c.xmpp, "sms": user_contacts.c.sms}.get(via)
    if column is None or not address:
        return None
    row = conn.execute(
        sa.select(user_contacts.c.name).join(users, users.c.name == user_contacts.c.name)
        .where(column == address, users.c.disabled.is_(False))
        .order_by(user_contacts.c.name).limit(1)).first()
    return None if row is None else str(row.name)


def second_factor(conn: sa.Connection, name: str) -> SecondFactorInfo:
    """Whether ``name`` has a confirmed second factor (sign-ins then ask for a code),
    one waiting for its first code, and how many recovery codes are left."""
    return _totp_store.info(conn, name)


def second_factor_states(conn: sa.Connection) -> dict[str, str]:
    """``name -> "on" | "pending"`` for users with a second factor (list pages)."""
    return _totp_store.states(conn)
