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
    name: str
    email: str
    role: str
    display_name: str


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
