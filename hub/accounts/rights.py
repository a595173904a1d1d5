"""Rights as Request Tracker names them: one evaluation for handlers, queries and pages.

Defaults keep the hub usable with no grants at all: admins hold every right; staff
every ticket right except DeleteTicket in every queue; customers act through the
ticket roles they hold (Requestor: ShowTicket, ReplyToTicket, ResolveTicket; Cc:
ShowTicket, ReplyToTicket) and may open tickets in queues that allow it.

Grants (``RightGranted`` events on a queue or on ``*``) add to that, RT style, to
groups, users and ticket roles. Two rules make grants restrict as well:

- a queue with at least one grant to a group or user is *managed*: staff hold
  there only what their groups (or they) were granted;
- a queue with at least one ticket-role grant (or any role grant on ``*``) takes
  role rights from grants only.

Customers never hold more than :data:`CUSTOMER_CAP`, whatever is granted, so no
grant can show them comments or internal fields.

Why the grants travel inside ``Actor.rights``: queries such as ``can_see`` have no
database connection, and an actor is resolved once per request anyway. The
authentication functions attach the actor's *access profile* as ``acl:``-prefixed
strings (see :mod:`hub.accounts.acl`); :func:`rights_for` decodes them. Plain right
names never start with ``acl:``, so ``Actor.can`` is unaffected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from hub.actors import Actor

QUEUE_RIGHTS = (
    "SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
    "ShowTicketComments", "ModifyTicket", "OwnTicket", "TakeTicket", "StealTicket",
    "ResolveTicket", "DeleteTicket", "ModifyCustomField", "SeeInternalFields", "AdminQueue",
)
TICKET_RIGHTS = frozenset({
    "SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
    "ShowTicketComments", "ModifyTicket", "OwnTicket", "TakeTicket", "StealTicket",
    "ResolveTicket", "DeleteTicket", "ModifyCustomField", "SeeInternalFields",
})
#: What each right lets its holder do, in Request Tracker's words where RT has the right.
RIGHT_DESCRIPTIONS = {
    "SeeQueue": "see that the queue exists (lists, the new-ticket form)",
    "ShowTicket": "view tickets: summary, correspondence and history",
    "CreateTicket": "open tickets in the queue",
    "ReplyToTicket": "reply to tickets (correspondence the requestors receive)",
    "CommentOnTicket": "comment on tickets (private to staff)",
    "ShowTicketComments": "read private comments",
    "ModifyTicket": "change status, priority, queue, dates and links",
    "OwnTicket": "be the owner of tickets",
    "TakeTicket": "take unowned tickets",
    "StealTicket": "take tickets owned by someone else",
    "ResolveTicket": "resolve tickets",
    "DeleteTicket": "delete tickets",
    "ModifyCustomField": "change custom field values",
    "SeeInternalFields": "see internal custom fields",
    "AdminQueue": "change the queue's settings and its rights",
}
ADMIN_RIGHTS = frozenset({"AdminQueue", "AdminUsers"})
GRANTABLE = frozenset(QUEUE_RIGHTS)
STAFF_DEFAULT = TICKET_RIGHTS - {"DeleteTicket"}
REQUESTOR_RIGHTS = frozenset({"ShowTicket", "ReplyToTicket", "ResolveTicket"})
CC_RIGHTS = frozenset({"ShowTicket", "ReplyToTicket"})
DEFAULT_ROLE_RIGHTS: Mapping[str, frozenset[str]] = {
    "requestors": REQUESTOR_RIGHTS, "cc": CC_RIGHTS,
}
TICKET_ROLES = ("requestors", "cc", "admincc", "owner")
CUSTOMER_CAP = frozenset({"SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket",
                          "ResolveTicket"})
GLOBAL = "*"
PREFIX = "acl:"
MARKER = "acl:profile"


@dataclass(frozen=True)
class AccessProfile:
    """What the grants say about one user, independent of any one ticket."""

    own: Mapping[str, frozenset[str]] = field(default_factory=dict)  # scope -> rights
    roles: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    managed: frozenset[str] = frozenset()       # scopes with group/user grants
    role_managed: frozenset[str] = frozenset()  # scopes with role grants

    def encode(self) -> frozenset[str]:
        out = {MARKER}
        out |= {f"acl:own:{s}:{r}" for s, rights in self.own.items() for r in rights}
        out |= {f"acl:role:{s}:{role}:{r}" for s, per in self.roles.items()
                for role, rights in per.items() for r in rights}
        out |= {f"acl:managed:{s}" for s in self.managed}
        out |= {f"acl:rolemanaged:{s}" for s in self.role_managed}
        return frozenset(out)


EMPTY = AccessProfile()


def build_profile(grants: Iterable[tuple[str, str, str]], principals: set[str]) -> AccessProfile:
    """Fold every grant ``(scope, principal, right)`` into one user's profile."""
    own: dict[str, set[str]] = {}
    roles: dict[str, dict[str, set[str]]] = {}
    managed: set[str] = set()
    role_managed: set[str] = set()
    for scope, principal, right in grants:
        if principal.startswith("role:"):
            role_managed.add(scope)
            roles.setdefault(scope, {}).setdefault(principal[5:], set()).add(right)
            continue
        if scope != GLOBAL:
            managed.add(scope)
        if principal in principals:
            own.setdefault(scope, set()).add(right)
    return AccessProfile(
        own={s: frozenset(r) for s, r in own.items()},
        roles={s: {k: frozenset(v) for k, v in per.items()} for s, per in roles.items()},
        managed=frozenset(managed), role_managed=frozenset(role_managed),
    )


@lru_cache(maxsize=4096)
def _decode(encoded: frozenset[str]) -> AccessProfile:
    own: dict[str, set[str]] = {}
    roles: dict[str, dict[str, set[str]]] = {}
    managed: set[str] = set()
    role_managed: set[str] = set()
    for item in encoded:
        if not item.startswith(PREFIX):
            continue
        parts = item.split(":")
        if parts[1] == "own" and len(parts) == 4:
            own.setdefault(parts[2], set()).add(parts[3])
        elif parts[1] == "role" and len(parts) == 5:
            roles.setdefault(parts[2], {}).setdefault(parts[3], set()).add(parts[4])
        elif parts[1] == "managed":
            managed.add(parts[2])
        elif parts[1] == "rolemanaged":
            role_managed.add(parts[2])
    return AccessProfile(
        own={s: frozenset(r) for s, r in own.items()},
        roles={s: {k: frozenset(v) for k, v in per.items()} for s, per in roles.items()},
        managed=frozenset(managed), role_managed=frozenset(role_managed),
    )


def profile_of(actor: Actor) -> AccessProfile:
    if MARKER not in actor.rights:
        return EMPTY
    return _decode(frozenset(r for r in actor.rights if r.startswith(PREFIX)))


def profile_rights(actor: Actor) -> frozenset[str]:
    """The ``acl:`` part of an actor's rights, to carry over when rights are replaced."""
    return frozenset(r for r in actor.rights if r.startswith(PREFIX))


def mentioned_scopes(actor: Actor) -> frozenset[str]:
    """The queue scopes (lower-case, without ``*``) the actor's profile says anything about.

    :func:`rights_for` treats every other queue alike, which is what lets list
    filters be derived from it by evaluating one sentinel scope for all of them.
    """
    p = profile_of(actor)
    scopes = set(p.own) | set(p.roles) | set(p.managed) | set(p.role_managed)
    scopes.discard(GLOBAL)
    return frozenset(scopes)


def is_unrestricted(actor: Actor) -> bool:
    return actor.is_system or actor.role == "admin"


def role_rights(profile: AccessProfile, scope: str | None, role: str) -> frozenset[str]:
    """What holding ``role`` on a ticket in ``scope`` grants."""
    out: set[str] = set(profile.roles.get(GLOBAL, {}).get(role, ()))
    if scope is not None:
        out |= profile.roles.get(scope, {}).get(role, frozenset())
    if GLOBAL not in profile.role_managed and scope not in profile.role_managed:
        out |= DEFAULT_ROLE_RIGHTS.get(role, frozenset())
    return frozenset(out)


def rights_for(actor: Actor, *, ticket_roles: set[str] | None = None,
               customers_may_create: bool = True, queue: str | None = None) -> frozenset[str]:
    """The rights ``actor`` holds on one queue (and on one ticket when roles are given).

    ``queue`` is the queue's name (any case); without it only defaults and global
    grants count, which is how the rules behaved before grants existed.
    """
    if is_unrestricted(actor):
        return TICKET_RIGHTS | ADMIN_RIGHTS
    profile = profile_of(actor)
    scope = queue.lower() if queue else None
    granted: set[str] = set(profile.own.get(GLOBAL, ()))
    if scope is not None:
        granted |= profile.own.get(scope, frozenset())
    if actor.role == "staff" and (scope is None or scope not in profile.managed):
        granted |= STAFF_DEFAULT
    for role in ticket_roles or ():
        granted |= role_rights(profile, scope, role)
    if actor.role != "staff":
        if customers_may_create:
            granted.add("CreateTicket")
        granted &= CUSTOMER_CAP
    return frozenset(granted)


def roles_in(actor: Actor, state: Mapping[str, object]) -> set[str]:
    """Ticket roles the actor holds in a ticket snapshot (as the read model stores it)."""
    watchers = state.get("watchers") or {}
    assert isinstance(watchers, Mapping)
    roles = {role for role, people in watchers.items()
             if actor.email and actor.email in (people or [])}
    if state.get("owner") is not None and state.get("owner") == actor.name:
        roles.add("owner")
    return roles


def rights_on(actor: Actor, state: Mapping[str, object]) -> frozenset[str]:
    """The rights on one ticket snapshot: the read side's way into :func:`rights_for`."""
    queue = state.get("queue")
    return rights_for(actor, ticket_roles=roles_in(actor, state),
                      queue=queue if isinstance(queue, str) else None)
