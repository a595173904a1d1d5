"""on-call: schedules, escalation policies and pages (projections)

Revision ID: 0011_oncall
Revises: 0010_channels
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_oncall"
down_revision: str | None = "0010_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_schedules",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "oncall_policies",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "pages",
        sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=False),
        sa.Column("policy", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("next_at", sa.DateTime, nullable=True),
        sa.Column("triggered_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("ticket_id", "state", "code", "next_at"):
        op.create_index(f"ix_pages_{column}", "pages", [column])


def downgrade() -> None:
    op.drop_table("pages")
    op.drop_table("oncall_policies")
    op.drop_table("oncall_schedules")
