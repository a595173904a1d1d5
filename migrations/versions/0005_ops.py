"""ops read models: alerts and backup hosts

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("ops",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("problem_key", sa.String(300), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=True),
        sa.Column("object_type", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("parent_ticket_id", sa.Integer, nullable=True),
        sa.Column("group_key", sa.String(300), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", sa.DateTime, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
        sa.Column("last_delivery", sa.String(120), nullable=False),
        sa.Column("flapping", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("acknowledged", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ack_sent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("problem_key", "episode"),
    )
    op.create_index("ix_alerts_object_key", "alerts", ["object_key"])
    op.create_index("ix_alerts_host", "alerts", ["host"])
    op.create_index("ix_alerts_ticket_id", "alerts", ["ticket_id"])
    op.create_index("ix_alerts_group_key", "alerts", ["group_key"])
    op.create_table(
        "backup_hosts",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("last_good", sa.DateTime, nullable=True),
        sa.Column("last_failure", sa.DateTime, nullable=True),
        sa.Column("last_type", sa.String(20), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("backup_hosts")
    op.drop_table("alerts")
