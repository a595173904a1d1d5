"""Directory accounts: created at first sign-in, kept in step with their entries.

The directory decides who a directory user is: mail, display name, role (admin
group > staff group > customer) and membership of the OpsHub groups named in
``HUB_LDAP_GROUP_MAP``. Every difference becomes an ordinary account event
recorded with source ``directory``; nothing is recorded when nothing changed.

Sign-in re-reads the entry each time. Live sessions and API tokens of directory
users are re-checked by a scheduler job with the search account, so a user taken
out of the staff group loses staff rights, and a user gone from the directory
loses sessions and tokens, within ``HUB_LDAP_RECHECK_SECONDS`` (60 s). While the
directory cannot be reached nothing is changed: sessions already open stay open,
and new directory sign-ins are refused as "directory unavailable".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.accounts import commands as c
from hub.accounts.auth import DirectoryUnavailableError, actor_for_user, revoke_credentials
from hub.accounts.directory import Directory, DirectoryEntry, normal_dn
from hub.accounts.groups import Group
from hub.accounts.model import USERNAME, User, clean_email
from hub.accounts.tables import directory_accounts, users
from hub.actors import Actor
from hub.db import credentials
from hub.domain import StateConflictError, ValidationError
from hub.eventstore import utcnow
from hub.messagebus import MessageBus, UnitOfWork
from hub.scheduler import register_jobs

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
DIRECTORY_ACTOR = Actor(name="directory", role="system", source="directory")
SERVICE = "directory"


def _remember(uow: UnitOfWork, name: str, dn: str | None, at: dt.datetime,
              missing: bool = False) -> None:
    """Note when ``name``'s entry was read (and since when it is missing)."""

    def write(conn: sa.Connection) -> None:
        old = conn.execute(sa.select(directory_accounts)
                           .where(directory_accounts.c.username == name)).first()
        since = (old.missing_since if old is not None and old.missing_since else at) \
            if missing else None
        conn.execute(sa.delete(directory_accounts).where(directory_accounts.c.username == name))
        conn.execute(sa.insert(directory_accounts).values(
            username=name, dn=dn if dn is not None else (old.dn if old else ""),
            checked_at=at, missing_since=since))

    uow.write_with_commit(write)


def sync_directory_user(cmd: c.SyncDirectoryUser, uow: UnitOfWork,
                        actor: Actor) -> dict[str, Any]:
    """Create or update the account from its entry; only what changed is recorded."""
    user = uow.get(User, cmd.name, must_exist=False)
    changed: list[str] = []
    if not user.exists:
        user.create(actor, email=cmd.email, role=cmd.role, display_name=cmd.display_name,
                    source="directory")
        changed.append("created")
    elif user.source != "directory":
        raise StateConflictError(f"{cmd.name} is a local account: a directory entry of the "
                                 f"same name does not sign in as it")
    else:
        wanted = {"email": clean_email(cmd.email), "display_name": cmd.display_name,
                  "role": cmd.role}
        changes = {k: v for k, v in wanted.items() if getattr(user, k) != v}
        if changes:
            user.change(actor, **changes)
            changed += sorted(changes)
    member_of = set(cmd.groups)
    for name in sorted(set(cmd.managed_groups)):
        group = uow.get(Group, name, must_exist=False)
        if name in member_of and not group.exists:
            group.create(actor, "members follow the directory")
        if group.exists and (name in member_of) != (cmd.name in group.members):
            group.change_member(actor, cmd.name, name in member_of)
            changed.append(f"group:{name}")
    _remember(uow, cmd.name, cmd.dn, utcnow())
    return {"name": cmd.name, "changed": changed}


def end_user_sessions(cmd: c.EndUserSessions, uow: UnitOfWork, actor: Actor) -> None:
    """Revoke the user's tokens (events) and sessions; the account itself stays."""
    user = uow.get(User, cmd.name)
    for token_id in sorted(user.tokens):
        user.token_revoked(actor, token_id)
    uow.write_with_commit(lambda conn: revoke_credentials(conn, cmd.name))
    if user.source == "directory":
        _remember(uow, cmd.name, None, utcnow(), missing=True)


@dataclass
class RecheckReport:
    checked: int = 0
    changed: dict[str, list[str]] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    unavailable: bool = False


class DirectoryAccounts:
    """``hub.services["directory"]``: directory sign-in and the periodic re-check."""

    def __init__(self, bus: MessageBus, engine: sa.Engine, directory: Directory,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.bus, self.engine, self.directory, self.clock = bus, engine, directory, clock
        s = directory.settings
        self.admin_group = normal_dn(s.ldap_admin_group) if s.ldap_admin_group else ""
        self.staff_group = normal_dn(s.ldap_staff_group) if s.ldap_staff_group else ""
        self.group_map = {normal_dn(dn): group for dn, group in s.ldap_group_map}
        self.mail_domain = directory.domain or s.mail_domain
        self.recheck_after = dt.timedelta(seconds=s.ldap_recheck_seconds / 2)

    @property
    def domain(self) -> str:
        """The directory's domain as the login page names it (``example.org``)."""
        return self.directory.domain

    def role_of(self, entry: DirectoryEntry) -> str:
        if self.admin_group and self.admin_group in entry.groups:
            return "admin"
        if self.staff_group and self.staff_group in entry.groups:
            return "staff"
        return "customer"

    def sign_in(self, name: str, password: str, source: str) -> Actor | None:
        """The actor when the directory accepts ``password`` for ``name``; the account
        is created or brought in step first. Raises DirectoryUnavailableError."""
        if not password or not USERNAME.match(name):
            return None
        entry = self.directory.authenticate(name, password)
        if entry is None:
            return None
        try:
            self._sync(name, entry)
        except StateConflictError:
            return None  # a local account of that name appeared meanwhile: local wins
        with self.engine.connect() as conn:  # a fresh snapshot that sees the sync
            return actor_for_user(conn, name, source)

    def _sync(self, name: str, entry: DirectoryEntry) -> dict[str, Any]:
        try:
            email = clean_email(entry.mail)
        except ValidationError:
            email = f"{name}@{self.mail_domain}"  # an entry without (a valid) mail
        groups = tuple(sorted({g for dn, g in self.group_map.items() if dn in entry.groups}))
        result: dict[str, Any] = self.bus.handle(c.SyncDirectoryUser(
            name=name, dn=entry.dn, email=email, display_name=entry.display_name or name,
            role=self.role_of(entry), groups=groups,
            managed_groups=tuple(sorted(set(self.group_map.values())))), DIRECTORY_ACTOR)
        return result

    def due(self, now: dt.datetime) -> list[str]:
        """Enabled directory users with a live session or token, not checked lately."""
        live = sa.select(credentials.c.username).where(
            credentials.c.kind.in_(("session", "token")), credentials.c.revoked_at.is_(None))
        query = (sa.select(users.c.name)
                 .outerjoin(directory_accounts, directory_accounts.c.username == users.c.name)
                 .where(users.c.source == "directory", users.c.disabled.is_(False),
                        users.c.name.in_(live),
                        sa.or_(directory_accounts.c.checked_at.is_(None),
                               directory_accounts.c.checked_at <= now - self.recheck_after))
                 .order_by(users.c.name))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def recheck(self, now: dt.datetime | None = None) -> RecheckReport:
        """Re-read the entries of the users :meth:`due` names and apply what changed."""
        report = RecheckReport()
        for name in self.due(now or self.clock()):
            try:
                entry = self.directory.lookup(name)
            except DirectoryUnavailableError:
                report.unavailable = True  # logged by the directory; sessions stay
                break
            report.checked += 1
            if entry is None:
                self.bus.handle(c.EndUserSessions(name=name), DIRECTORY_ACTOR)
                log.info("directory: %s is no longer in the directory; sessions and tokens "
                         "ended", name)
                report.gone.append(name)
                continue
            changed = self._sync(name, entry)["changed"]
            if changed:
                log.info("directory: %s changed (%s)", name, ", ".join(changed))
                report.changed[name] = changed
        return report

    def recheck_logged(self) -> None:
        """The scheduler's entry: a failure is logged and tried again next time."""
        try:
            self.recheck()
        except Exception:
            log.exception("directory re-check failed; trying again at the next run")


def register(hub: Hub) -> None:
    hub.bus.register(c.SyncDirectoryUser, sync_directory_user)
    hub.bus.register(c.EndUserSessions, end_user_sessions)
    if hub.settings.ldap_url:
        hub.services[SERVICE] = DirectoryAccounts(hub.bus, hub.engine,
                                                  Directory(hub.settings))


@register_jobs
def schedule(hub: Hub, scheduler: Any) -> None:
    accounts: DirectoryAccounts | None = hub.services.get(SERVICE)
    if accounts is None:
        return
    seconds = max(5.0, accounts.directory.settings.ldap_recheck_seconds / 2)
    scheduler.add_job(accounts.recheck_logged, "interval", seconds=seconds,
                      id="directory-recheck", replace_existing=True)


__all__ = ["DirectoryAccounts", "RecheckReport", "register"]
