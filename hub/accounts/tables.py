"""Read-model tables of accounts."""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.String(40), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("description", sa.String(500), nullable=False, server_default=""),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_name", sa.String(100), nullable=False),
    sa.Column("username", sa.String(100), nullable=False),
    sa.PrimaryKeyConstraint("group_name", "username"),
)
sa.Index("ix_group_members_username", group_members.c.username)

acl_grants = sa.Table(
    "acl_grants",
    metadata,
    sa.Column("scope", sa.String(64), nullable=False),  # queue key or "*"
    sa.Column("principal", sa.String(120), nullable=False),  # group:X | user:X | role:X
    sa.Column("right_name", sa.String(40), nullable=False),
    sa.PrimaryKeyConstraint("scope", "principal", "right_name"),
)
