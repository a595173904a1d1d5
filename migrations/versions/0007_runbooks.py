"""runbooks: runs and suggestions (projections) and resource leases

Revision ID: 0007
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("runbooks",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "runbook_runs",
        sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("runbook", sa.String(200), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_runbook_runs_runbook", "runbook_runs", ["runbook"])
    op.create_index("ix_runbook_runs_ticket_id", "runbook_runs", ["ticket_id"])
    op.create_table(
        "runbook_suggestions",
        sa.Column("ticket_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("runbook", sa.String(200), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("suggested_by", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "runbook"),
    )
    op.create_table(
        "runbook_leases",
        sa.Column("resource", sa.String(300), nullable=False),
        sa.Column("token", sa.BigInteger, nullable=False),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.Column("run_id", sa.BigInteger, nullable=True),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("taken_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("resource"),
    )


def downgrade() -> None:
    op.drop_table("runbook_leases")
    op.drop_table("runbook_suggestions")
    op.drop_index("ix_runbook_runs_ticket_id", table_name="runbook_runs")
    op.drop_index("ix_runbook_runs_runbook", table_name="runbook_runs")
    op.drop_table("runbook_runs")
