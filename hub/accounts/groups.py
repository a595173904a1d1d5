"""Groups of users and the rights granted per queue, as aggregates.

RT grants rights to groups and to ticket roles, per queue or globally; here a
``Group`` stream records its members and a ``QueueRights`` stream (one per queue,
plus ``*`` for global grants) records grants and revocations. The read model in
``acl_grants`` is what :mod:`hub.accounts.acl` folds into an actor's profile.
"""

from __future__ import annotations

import re
from typing import Any

from hub.accounts import events as ev
from hub.accounts.rights import GLOBAL, GRANTABLE, TICKET_ROLES
from hub.actors import Actor
from hub.domain import Aggregate, PermissionDeniedError, StateConflictError, ValidationError

GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class Group(Aggregate):
    stream_prefix = "group"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.description = ""
        self.members: set[str] = set()

    def create(self, actor: Actor, description: str = "") -> None:
        if not actor.can("AdminUsers"):
            raise PermissionDeniedError("creating groups needs AdminUsers")
        if self.exists:
            raise StateConflictError(f"group {self.id} already exists")
        if not GROUP_NAME.match(self.id):
            raise ValidationError("group names are lower-case letters, digits and . _ -")
        self._record(ev.GroupCreated(name=self.id, description=description[:500]))

    def change_member(self, actor: Actor, user: str, add: bool) -> None:
        if not actor.can("AdminUsers"):
            raise PermissionDeniedError("changing group members needs AdminUsers")
        if add and user not in self.members:
            self._record(ev.GroupMemberAdded(user=user))
        elif not add and user in self.members:
            self._record(ev.GroupMemberRemoved(user=user))

    def _on_GroupCreated(self, d: dict[str, Any]) -> None:
        self.description = d["description"]

    def _on_GroupMemberAdded(self, d: dict[str, Any]) -> None:
        self.members.add(d["user"])

    def _on_GroupMemberRemoved(self, d: dict[str, Any]) -> None:
        self.members.discard(d["user"])


class QueueRights(Aggregate):
    """The access control list of one queue (or of every queue, for ``*``)."""

    stream_prefix = "acl"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id.lower())
        self.grants: set[tuple[str, str]] = set()  # (principal, right)

    @staticmethod
    def check_principal(principal: str) -> None:
        kind, _, name = principal.partition(":")
        if kind not in ("group", "user", "role") or not name:
            raise ValidationError("a principal is group:NAME, user:NAME or role:ROLE")
        if kind == "role" and name not in TICKET_ROLES:
            raise ValidationError(f"ticket roles are {list(TICKET_ROLES)}")

    def grant(self, actor: Actor, principal: str, right: str) -> None:
        self._check(actor, principal, right)
        if (principal, right) not in self.grants:
            self._record(ev.RightGranted(scope=self.id, principal=principal, right=right))

    def revoke(self, actor: Actor, principal: str, right: str) -> None:
        self._check(actor, principal, right)
        if (principal, right) in self.grants:
            self._record(ev.RightRevoked(scope=self.id, principal=principal, right=right))

    def _check(self, actor: Actor, principal: str, right: str) -> None:
        if not actor.can("AdminQueue") or (self.id == GLOBAL and actor.role != "admin"
                                           and not actor.is_system):
            raise PermissionDeniedError("changing rights needs AdminQueue", right="AdminQueue")
        if right not in GRANTABLE:
            raise ValidationError(f"unknown right {right!r}", allowed=sorted(GRANTABLE))
        self.check_principal(principal)

    def _on_RightGranted(self, d: dict[str, Any]) -> None:
        self.grants.add((d["principal"], d["right"]))

    def _on_RightRevoked(self, d: dict[str, Any]) -> None:
        self.grants.discard((d["principal"], d["right"]))
