"""Account command handlers: events for the facts, credentials table for the secrets."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.accounts import commands as c
from hub.accounts.auth import revoke_credentials
from hub.accounts.contacts import clean_contacts, clean_quiet_hours
from hub.accounts.groups import Group, QueueRights
from hub.accounts.model import User
from hub.accounts.rights import GLOBAL, profile_rights, rights_for
from hub.accounts.secrets import hash_password, new_token
from hub.actors import Actor
from hub.db import credentials
from hub.domain import NotFoundError, ValidationError
from hub.eventstore import utcnow
from hub.messagebus import MessageBus, UnitOfWork

MIN_PASSWORD = 8


def _store_password(uow: UnitOfWork, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"a password has at least {MIN_PASSWORD} characters")
    hashed = hash_password(password)

    def write(conn: sa.Connection) -> None:
        conn.execute(sa.delete(credentials).where(
            credentials.c.username == name, credentials.c.kind == "password"))
        conn.execute(sa.insert(credentials).values(
            id=f"pw-{name}", kind="password", username=name, name="password",
            secret_hash=hashed, created_at=utcnow()))

    uow.write_with_commit(write)


def create_user(cmd: c.CreateUser, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    user = uow.get(User, cmd.name, must_exist=False)
    user.create(actor, email=cmd.email, role=cmd.role, display_name=cmd.display_name)
    if cmd.password is not None:
        _store_password(uow, cmd.name, cmd.password)
        user.password_set(actor)
    return {"name": cmd.name, "email": user.email, "role": user.role}


def _end_sessions(uow: UnitOfWork, user: User, actor: Actor) -> None:
    """Revoke every session and token of ``user`` in this transaction: a changed
    password or a disabled account must lock out whoever held the old ones."""
    for token_id in sorted(user.tokens):
        user.token_revoked(actor, token_id)
    uow.write_with_commit(lambda conn: revoke_credentials(conn, user.id))


def set_password(cmd: c.SetPassword, uow: UnitOfWork, actor: Actor) -> None:
    user = uow.get(User, cmd.name)
    user.password_set(actor)
    _store_password(uow, cmd.name, cmd.password)
    _end_sessions(uow, user, actor)


def create_token(cmd: c.CreateToken, uow: UnitOfWork, actor: Actor) -> dict[str, str]:
    """The clear token is returned to the caller once and never stored."""
    user = uow.get(User, cmd.user)
    token_id, token, hashed = new_token()
    user.token_created(actor, token_id, cmd.name)

    def write(conn: sa.Connection) -> None:
        conn.execute(sa.insert(credentials).values(
            id=f"tok-{token_id}", kind="token", username=cmd.user, name=cmd.name,
            secret_hash=hashed, created_at=utcnow()))

    uow.write_with_commit(write)
    return {"token_id": token_id, "token": token}


def revoke_token(cmd: c.RevokeToken, uow: UnitOfWork, actor: Actor) -> None:
    user = uow.get(User, cmd.user)
    user.token_revoked(actor, cmd.token_id)

    def write(conn: sa.Connection) -> None:
        conn.execute(sa.update(credentials).where(credentials.c.id == f"tok-{cmd.token_id}")
                     .values(revoked_at=utcnow()))

    uow.write_with_commit(write)


def change_user(cmd: c.ChangeUser, uow: UnitOfWork, actor: Actor) -> None:
    user = uow.get(User, cmd.name)
    changes = {k: v for k, v in (("email", cmd.email), ("role", cmd.role),
                                 ("display_name", cmd.display_name),
                                 ("disabled", cmd.disabled)) if v is not None}
    if changes:
        user.change(actor, **changes)
    if cmd.password is not None:
        user.password_set(actor)
        _store_password(uow, cmd.name, cmd.password)
    if cmd.disabled or cmd.password is not None:
        _end_sessions(uow, user, actor)


def set_contacts(cmd: c.SetContacts, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    user = uow.get(User, cmd.name)
    contacts = clean_contacts(cmd.contacts)
    quiet = user.quiet_hours if cmd.keep_quiet_hours else (
        None if cmd.quiet_hours is None else clean_quiet_hours(cmd.quiet_hours))
    user.set_contacts(actor, contacts, quiet)
    return {"contacts": dict(user.contacts), "quiet_hours": user.quiet_hours}


def create_group(cmd: c.CreateGroup, uow: UnitOfWork, actor: Actor) -> dict[str, str]:
    group = uow.get(Group, cmd.name.strip().lower(), must_exist=False)
    group.create(actor, cmd.description)
    return {"name": group.id}


def change_group_member(cmd: c.ChangeGroupMember, uow: UnitOfWork, actor: Actor) -> None:
    group = uow.get(Group, cmd.group.strip().lower())
    if cmd.add and not uow.get(User, cmd.user, must_exist=False).exists:
        raise ValidationError(f"unknown user {cmd.user!r}")
    group.change_member(actor, cmd.user, cmd.add)


def _acl(uow: UnitOfWork, actor: Actor, scope: str, principal: str) -> tuple[QueueRights, Actor]:
    """Load the scope's ACL and the actor with its rights on that queue."""
    key = scope.strip().lower()
    if key != GLOBAL and not c.scope_exists(uow, key):
        raise NotFoundError(f"queue {scope} not found")
    QueueRights.check_principal(principal)
    kind, _, name = principal.partition(":")
    if kind == "group" and not uow.get(Group, name, must_exist=False).exists:
        raise ValidationError(f"unknown group {name!r}")
    if kind == "user" and not uow.get(User, name, must_exist=False).exists:
        raise ValidationError(f"unknown user {name!r}")
    who = actor.with_rights(profile_rights(actor) | rights_for(
        actor, queue=None if key == GLOBAL else key))
    return uow.get(QueueRights, key, must_exist=False), who


def grant_right(cmd: c.GrantRight, uow: UnitOfWork, actor: Actor) -> None:
    acl, who = _acl(uow, actor, cmd.scope, cmd.principal)
    acl.grant(who, cmd.principal, cmd.right)
    uow.add(acl)


def revoke_right(cmd: c.RevokeRight, uow: UnitOfWork, actor: Actor) -> None:
    acl, who = _acl(uow, actor, cmd.scope, cmd.principal)
    acl.revoke(who, cmd.principal, cmd.right)
    uow.add(acl)


def register(bus: MessageBus) -> None:
    bus.register(c.CreateGroup, create_group)
    bus.register(c.ChangeGroupMember, change_group_member)
    bus.register(c.GrantRight, grant_right)
    bus.register(c.RevokeRight, revoke_right)
    bus.register(c.CreateUser, create_user)
    bus.register(c.SetPassword, set_password)
    bus.register(c.CreateToken, create_token)
    bus.register(c.RevokeToken, revoke_token)
    bus.register(c.ChangeUser, change_user)
    bus.register(c.SetContacts, set_contacts)
