"""rules, reminders, the tickets' last human change and rule firings

Revision ID: 0012_rules
Revises: 0011_oncall
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_rules"
down_revision: str | None = "0011_oncall"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("on_trigger", sa.String(64), nullable=False, index=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("run_order", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "rule_reminders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("set_by", sa.String(100), nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_rule_reminders_state_due", "rule_reminders", ["state", "due_at"])
    op.create_table(
        "rule_ticket_activity",
        sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("last_change_at", sa.DateTime, nullable=False, index=True),
        sa.Column("status", sa.String(32), nullable=False),
    )
    op.create_table(
        "rule_firings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("rule_key", sa.String(64), nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.UniqueConstraint("rule_key", "cause", name="uq_rule_firings_rule_cause"),
    )


def downgrade() -> None:
    op.drop_table("rule_firings")
    op.drop_table("rule_ticket_activity")
    op.drop_index("ix_rule_reminders_state_due", "rule_reminders")
    op.drop_table("rule_reminders")
    op.drop_table("rules")
