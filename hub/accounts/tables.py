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
    # "local" (password kept here) or "directory" (HUB_LDAP_*: the directory decides).
    sa.Column("source", sa.String(20), nullable=False, server_default="local"),
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

user_contacts = sa.Table(
    "user_contacts",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("contacts", sa.JSON, nullable=False),  # {mail?, webhook?, xmpp?, sms?, ...}
    sa.Column("quiet_hours", sa.JSON, nullable=True),  # {timezone, from, to}
    sa.Column("xmpp", sa.String(1100), nullable=True, index=True),  # for inbound replies
    sa.Column("sms", sa.String(20), nullable=True, index=True),
)

# Operational state of directory accounts (not a projection: a rebuild leaves it):
# the entry's DN and when it was last read, so live sessions and tokens are checked
# against the directory at least every HUB_LDAP_RECHECK_SECONDS.
directory_accounts = sa.Table(
    "directory_accounts",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("dn", sa.String(1000), nullable=False),
    sa.Column("checked_at", sa.DateTime, nullable=False),
    sa.Column("missing_since", sa.DateTime, nullable=True),
)

# Second factors (not projections: the secret is in no event, so a rebuild must leave
# these alone). At most one ``active`` and one ``pending`` TOTP per user: a pending
# enrolment counts for nothing until its first code confirms it, and then replaces
# the active one. ``last_step`` is the newest time step a code was accepted for, so
# the same code (or an older one) is refused a second time.
totp_factors = sa.Table(
    "totp_factors",
    metadata,
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),  # pending | active
    sa.Column("secret_box", sa.String(300), nullable=False),  # AES-GCM, hub.accounts.totp
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("confirmed_at", sa.DateTime, nullable=True),
    sa.Column("last_step", sa.BigInteger, nullable=True),
    sa.PrimaryKeyConstraint("username", "state"),
)

# Single-use recovery codes (argon2 hashes), in the same two states as the factor.
totp_recovery_codes = sa.Table(
    "totp_recovery_codes",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, index=True),
    sa.Column("state", sa.String(10), nullable=False),  # pending | active
    sa.Column("code_hash", sa.String(300), nullable=False),
    sa.Column("used_at", sa.DateTime, nullable=True),
)
