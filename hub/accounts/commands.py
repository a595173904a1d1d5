"""Account commands."""

from __future__ import annotations

from dataclasses import dataclass


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
