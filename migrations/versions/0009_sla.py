"""SLA read models: calendars, queue policies and ticket clocks

Revision ID: 0009_sla
Revises: 0008b_login_failures
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_sla"
down_revision: str | None = "0008b_login_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_calendars",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sla_policies",
        sa.Column("queue", sa.String(64), primary_key=True),
        sa.Column("policy", sa.JSON, nullable=True),
        sa.Column("calendar", sa.String(64), nullable=True),
        sa.Column("inactive", sa.JSON, nullable=False),
    )
    op.create_index("ix_sla_policies_calendar", "sla_policies", ["calendar"])
    op.create_table(
        "sla_clocks",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("first_response_at", sa.DateTime, nullable=True),
        sa.Column("statuses", sa.JSON, nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("response_due", sa.DateTime, nullable=True),
        sa.Column("response_warn", sa.DateTime, nullable=True),
        sa.Column("response_stopped", sa.DateTime, nullable=True),
        sa.Column("resolve_due", sa.DateTime, nullable=True),
        sa.Column("resolve_warn", sa.DateTime, nullable=True),
        sa.Column("resolve_stopped", sa.DateTime, nullable=True),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("fired", sa.JSON, nullable=False),
        sa.Column("next_alarm", sa.DateTime, nullable=True),
    )
    op.create_index("ix_sla_clocks_next_alarm", "sla_clocks", ["next_alarm"])
    op.create_index("ix_sla_clocks_queue_open", "sla_clocks", ["queue", "is_open"])
    op.create_index("ix_sla_clocks_response_due", "sla_clocks", ["response_due"])
    op.create_index("ix_sla_clocks_resolve_due", "sla_clocks", ["resolve_due"])


def downgrade() -> None:
    op.drop_table("sla_clocks")
    op.drop_table("sla_policies")
    op.drop_table("sla_calendars")
