"""ops: Nagios acknowledgements waiting for confirmation; host aliases seen

Revision ID: ops_nagios_acks
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ops_nagios_acks"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nagios_acks",
        sa.Column("problem_key", sa.String(300), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=True),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("nagios_host", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("next_at", sa.DateTime, nullable=False),
        sa.Column("written_at", sa.DateTime, nullable=True),
        sa.Column("reported", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("problem_key", "episode"),
    )
    op.create_index("ix_nagios_acks_ticket_id", "nagios_acks", ["ticket_id"])
    op.create_index("ix_nagios_acks_next_at", "nagios_acks", ["next_at"])
    op.create_table(
        "nagios_host_aliases",
        sa.Column("alias", sa.String(255), primary_key=True),
        sa.Column("host_name", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("nagios_host_aliases")
    op.drop_table("nagios_acks")
