"""Read an actor's access profile (groups and grants) from the read models.

Called once per request by the authentication functions, so every later rights
decision in that request (handlers, ``can_see``, lists, history) uses the same
profile without another query.

Reading every grant on every request costs more than the rest of authentication,
so profiles are kept per process, keyed by the *access mark*: a counter in the
``sequences`` table that the access projection raises in the same transaction as
every change to groups, memberships or grants, whichever process makes it. The
authentication query reads the mark with the credential, so a request whose
snapshot includes a revocation also sees the raised mark and never the profile
cached before it. The mark never goes down (a rebuild raises it again), so an old
profile can never come back under a mark it was not read at.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.accounts.rights import build_profile
from hub.accounts.tables import acl_grants, group_members
from hub.db import next_sequence, sequences

ACCESS_MARK = "access-changes"
MAX_CACHED_PROFILES = 10_000

_GROUPS_OF = sa.select(group_members.c.group_name).where(
    group_members.c.username == sa.bindparam("name"))
_GRANTS = sa.select(acl_grants.c.scope, acl_grants.c.principal, acl_grants.c.right_name)
_MARK = sa.select(sequences.c.value).where(sequences.c.name == ACCESS_MARK)


def groups_of(conn: sa.Connection, name: str) -> list[str]:
    return sorted(conn.execute(_GROUPS_OF, {"name": name}).scalars())


def load_access(conn: sa.Connection, name: str) -> frozenset[str]:
    """The ``acl:`` strings that :func:`hub.accounts.rights.rights_for` decodes."""
    principals = {f"user:{name}", *(f"group:{g}" for g in groups_of(conn, name))}
    grants = [(r.scope, r.principal, r.right_name) for r in conn.execute(_GRANTS)]
    return build_profile(grants, principals).encode()


def access_mark_column() -> sa.ScalarSelect[int]:
    """The access mark as a column, to read it in the same statement as a credential."""
    return _MARK.scalar_subquery()


def raise_access_mark(conn: sa.Connection) -> None:
    """Called by the access projection with each change it applies (same transaction)."""
    next_sequence(conn, ACCESS_MARK)


@dataclass
class _Profiles:
    mark: int
    by_user: dict[str, frozenset[str]] = field(default_factory=dict)


# One per engine (a process may serve several hubs: tests, benches); weak, so a
# disposed hub's engine takes its profiles with it and a new one never reuses them.
_CACHE: weakref.WeakKeyDictionary[Engine, _Profiles] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def cached_access(conn: sa.Connection, name: str, mark: int | None) -> frozenset[str]:
    """:func:`load_access` for ``name``, from this process's cache when ``mark`` (read
    in the caller's statement, ``None`` before any change was ever made) is current."""
    at = int(mark or 0)
    entry = _CACHE.get(conn.engine)
    if entry is not None and entry.mark == at:
        hit = entry.by_user.get(name)
        if hit is not None:
            return hit
    profile = load_access(conn, name)  # read after the mark: never older than it
    with _LOCK:
        entry = _CACHE.get(conn.engine)
        if entry is None or entry.mark < at or len(entry.by_user) >= MAX_CACHED_PROFILES:
            entry = _Profiles(max(at, entry.mark if entry is not None else at))
            _CACHE[conn.engine] = entry
        if entry.mark == at:  # a request on an older snapshot does not store
            entry.by_user[name] = profile
    return profile


def access_of(conn: sa.Connection, name: str) -> frozenset[str]:
    """The profile of ``name`` when no credential query carried the mark."""
    return cached_access(conn, name, conn.execute(_MARK).scalar())
