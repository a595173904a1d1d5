"""directory sign-in: where each account comes from, and when its entry was last read

Revision ID: 0013_directory
Revises: 0012_rules
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_directory"
down_revision: str | None = "0012_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(20), nullable=False,
                                      server_default="local"))
    op.create_table(
        "directory_accounts",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("dn", sa.String(1000), nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("missing_since", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("directory_accounts")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("source")
