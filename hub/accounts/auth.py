"""Turn a bearer token or a password into an Actor; read-only lookups.

Every actor built here carries its access profile (groups and grants, see
:mod:`hub.accounts.acl`), so rights are evaluated the same way everywhere.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.accounts.acl import load_access
from hub.accounts.secrets import hash_token, same, token_id_of, verify_password
from hub.accounts.tables import users
from hub.actors import Actor
from hub.db import credentials

# One query per API request: the token's hash and its (enabled) user.
_TOKEN_LOOKUP = (
    sa.select(credentials.c.secret_hash, users.c.name, users.c.email, users.c.role,
              users.c.disabled)
    .join(users, users.c.name == credentials.c.username)
    .where(credentials.c.id == sa.bindparam("cid"), credentials.c.kind == "token",
           credentials.c.revoked_at.is_(None))
)


def actor_for_user(conn: sa.Connection, name: str, source: str) -> Actor | None:
    row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None or row.disabled:
        return None
    return Actor(name=row.name, email=row.email, role=row.role, source=source,
                 rights=load_access(conn, row.name))


def authenticate_token(conn: sa.Connection, token: str, source: str = "api") -> Actor | None:
    token_id = token_id_of(token)
    if token_id is None:
        return None
    row = conn.execute(_TOKEN_LOOKUP, {"cid": f"tok-{token_id}"}).first()
    if row is None or row.disabled or not same(row.secret_hash, hash_token(token)):
        return None
    return Actor(name=row.name, email=row.email, role=row.role, source=source,
                 rights=load_access(conn, row.name))


def authenticate_password(conn: sa.Connection, name: str, password: str,
                          source: str = "web") -> Actor | None:
    row = conn.execute(
        sa.select(credentials.c.secret_hash)
        .where(credentials.c.username == name, credentials.c.kind == "password")
    ).first()
    if row is None or not verify_password(row.secret_hash, password):
        return None
    return actor_for_user(conn, name, source)
