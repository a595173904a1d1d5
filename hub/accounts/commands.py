"""Account commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hub.accounts.auth import close_session as _close_session
from hub.accounts.auth import open_session as _open_session
from hub.accounts.contacts import clean_address as clean_address
from hub.accounts.model import User
from hub.accounts.queries import UserInfo
from hub.messagebus import UnitOfWork


@dataclass(frozen=True)
class CreateUser:
    name: str
    email: str
    role: str
    display_name: str = ""
    password: str | None = None


@dataclass(frozen=True)
class SetPassword:
    name: str
    password: str


@dataclass(frozen=True)
class CreateToken:
    user: str
    name: str


@dataclass(frozen=True)
class RevokeToken:
    user: str
    token_id: str


@dataclass(frozen=True)
class ChangeUser:
    name: str
    email: str | None = None
    role: str | None = None
    display_name: str | None = None
    disabled: bool | None = None
    password: str | None = None


@dataclass(frozen=True)
class SetContacts:
    """Change where channels reach ``name`` (merged: a ``None`` value removes one) and,
    unless ``keep_quiet_hours``, set their quiet hours (``None``: none). The user
    themselves or an admin."""

    name: str
    contacts: dict[str, Any] = field(default_factory=dict)
    quiet_hours: dict[str, Any] | None = None
    keep_quiet_hours: bool = True


@dataclass(frozen=True)
class SyncDirectoryUser:
    """Bring a directory account in step with its entry, creating it at first sign-in.

    ``groups`` are the OpsHub groups the entry's directory groups map to, and
    ``managed_groups`` every group the map names: membership of those follows the
    directory, other groups are left to local administrators. A local account of the
    same name is refused (local wins), never taken over.
    """

    name: str
    dn: str
    email: str
    display_name: str
    role: str
    groups: tuple[str, ...] = ()
    managed_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndUserSessions:
    """End every web session and API token of ``name`` (e.g. gone from the directory)."""

    name: str


@dataclass(frozen=True)
class CreateGroup:
    name: str
    description: str = ""


@dataclass(frozen=True)
class ChangeGroupMember:
    group: str
    user: str
    add: bool = True


@dataclass(frozen=True)
class GrantRight:
    """``scope`` is a queue name or ``*``; ``principal`` is group:X, user:X or role:X."""

    scope: str
    principal: str
    right: str


@dataclass(frozen=True)
class RevokeRight:
    scope: str
    principal: str
    right: str


# In-transaction functions: other features call these inside their own unit of
# work (so a ticket's owner check and the ticket change read the same state).

ScopeCheck = Callable[[UnitOfWork, str], bool]
_SCOPE_CHECKS: list[ScopeCheck] = []


def register_scope_check(check: ScopeCheck) -> None:
    """Let the feature that owns queues tell accounts whether a grant scope exists.

    Accounts sits below tickets and must not import it; tickets registers its
    queue lookup here in its ``register(hub)``. With none registered, only the
    global scope ``*`` exists.
    """
    if check not in _SCOPE_CHECKS:
        _SCOPE_CHECKS.append(check)


def scope_exists(uow: UnitOfWork, key: str) -> bool:
    """Whether some registered feature knows the (lower-case) scope ``key``."""
    return any(check(uow, key) for check in _SCOPE_CHECKS)


def load_user(uow: UnitOfWork, name: str) -> UserInfo | None:
    """The user ``name`` as the caller's unit of work sees it (``None`` if no such user).

    Runs inside the caller's unit of work, from the event stream, so it sees a user
    created earlier in the same transaction.
    """
    user = uow.get(User, name, must_exist=False)
    if not user.exists:
        return None
    return UserInfo(name=user.id, email=user.email, role=user.role,
                    display_name=user.display_name, disabled=user.disabled,
                    source=user.source)


def open_session(conn: sa.Connection, name: str) -> str:
    """Store a new web session for ``name`` (after a successful login); the returned
    token goes into the signed cookie, only its hash into the database."""
    return _open_session(conn, name)


def close_session(conn: sa.Connection, token: str) -> None:
    """Revoke one web session server-side (logout): its cookie stops working."""
    _close_session(conn, token)


# -- second factor (TOTP) ------------------------------------------------------------
# Never send these with an idempotency key: the bus would keep the result, and the
# result of StartTotpEnrolment holds the secret and the recovery codes.


@dataclass(frozen=True)
class StartTotpEnrolment:
    """A new TOTP secret and ten recovery codes for ``name``, pending until confirmed.

    Returns ``{"secret", "uri", "recovery_codes", "replaces"}`` once; an earlier
    confirmed factor keeps working until this one is confirmed (``replaces``).
    """

    name: str


@dataclass(frozen=True)
class ConfirmTotpEnrolment:
    """The first code from the app makes the pending enrolment the user's factor."""

    name: str
    code: str


@dataclass(frozen=True)
class RemoveSecondFactor:
    """Remove ``name``'s factor. The user themselves gives a current code (or a
    recovery code); an administrator removing someone else's needs none."""

    name: str
    code: str | None = None


@dataclass(frozen=True)
class CheckSecondFactor:
    """A sign-in's second step: returns ``{"ok": bool, "reason": ...}`` where reason
    is ``wrong``, ``replayed``, ``not_enrolled`` or ``unreadable`` when refused and
    ``totp`` or ``recovery`` (with ``remaining``) when accepted. A code of a time step
    already used is refused; a recovery code works once."""

    name: str
    code: str
