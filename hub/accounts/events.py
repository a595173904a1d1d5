"""What the accounts feature tells the world: users, tokens, groups and grants.

Secrets never appear here (passwords and token hashes live in the credentials
table); ``UserPasswordSet`` only says that a password changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class UserCreated(Event):
    """``source`` is ``"directory"`` for an account made at its first directory sign-in
    (left out, i.e. local, for every other account)."""

    name: str
    email: str
    role: str
    display_name: str
    source: str | None = None


@event
@dataclass(frozen=True)
class UserChanged(Event):
    """Only the settings that changed: email, role, display_name, disabled."""

    changes: dict[str, Any]


@event
@dataclass(frozen=True)
class UserPasswordSet(Event):
    """The password changed (the hash is stored outside the event stream)."""


@event
@dataclass(frozen=True)
class ApiTokenCreated(Event):
    token_id: str
    name: str


@event
@dataclass(frozen=True)
class ApiTokenRevoked(Event):
    token_id: str


@event
@dataclass(frozen=True)
class GroupCreated(Event):
    name: str
    description: str


@event
@dataclass(frozen=True)
class GroupMemberAdded(Event):
    user: str


@event
@dataclass(frozen=True)
class GroupMemberRemoved(Event):
    user: str


@event
@dataclass(frozen=True)
class RightGranted(Event):
    """``scope`` is a queue key or ``*``; ``principal`` is group:X, user:X or role:X."""

    scope: str
    principal: str
    right: str


@event
@dataclass(frozen=True)
class RightRevoked(Event):
    scope: str
    principal: str
    right: str


@event
@dataclass(frozen=True)
class UserContactsChanged(Event):
    """The user's channel addresses and quiet hours after the change (whole values, so
    the read model is the last event; ``quiet_hours`` ``None``: none)."""

    contacts: dict[str, Any]
    quiet_hours: dict[str, Any] | None = None


@event
@dataclass(frozen=True)
class SecondFactorEnrolmentStarted(Event):
    """A second factor waits for its first code; until then it counts for nothing.
    The secret is kept sealed outside the event stream, never here."""

    method: str


@event
@dataclass(frozen=True)
class SecondFactorEnrolled(Event):
    """The first code confirmed the factor: sign-ins now ask for a code."""

    method: str
    recovery_codes: int


@event
@dataclass(frozen=True)
class SecondFactorRemoved(Event):
    method: str


@event
@dataclass(frozen=True)
class RecoveryCodeUsed(Event):
    """A single-use recovery code stood in for the second factor at a sign-in."""

    remaining: int
