"""Read an actor's access profile (groups and grants) from the read models.

Called once per request by the authentication functions, so every later rights
decision in that request (handlers, ``can_see``, lists, history) uses the same
profile without another query.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.accounts.rights import build_profile
from hub.accounts.tables import acl_grants, group_members

_GROUPS_OF = sa.select(group_members.c.group_name).where(
    group_members.c.username == sa.bindparam("name"))
_GRANTS = sa.select(acl_grants.c.scope, acl_grants.c.principal, acl_grants.c.right_name)


def groups_of(conn: sa.Connection, name: str) -> list[str]:
    return sorted(conn.execute(_GROUPS_OF, {"name": name}).scalars())


def load_access(conn: sa.Connection, name: str) -> frozenset[str]:
    """The ``acl:`` strings that :func:`hub.accounts.rights.rights_for` decodes."""
    principals = {f"user:{name}", *(f"group:{g}" for g in groups_of(conn, name))}
    grants = [(r.scope, r.principal, r.right_name) for r in conn.execute(_GRANTS)]
    return build_profile(grants, principals).encode()
