"""Read-model tables of the rules feature (projections of the rule, reminder and ticket
streams; ``hub projections rebuild`` fills them again from the events)."""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

rules = sa.Table(
    "rules",
    metadata,
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

rule_reminders = sa.Table(
    "rule_reminders",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("set_by", sa.String(100), nullable=False),
    sa.Column("set_at", sa.DateTime, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("ended_at", sa.DateTime, nullable=True),
)
sa.Index("ix_rule_reminders_state_due", rule_reminders.c.state, rule_reminders.c.due_at)

# When each ticket last changed by a person or an outside system: not automation
# activity (SLA notes, pages, rule firings) and not the rules' own changes, so
# ``ticket.idle`` means "nobody did anything".
rule_ticket_activity = sa.Table(
    "rule_ticket_activity",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("last_change_at", sa.DateTime, nullable=False, index=True),
    sa.Column("status", sa.String(32), nullable=False),
)

# Every firing as recorded on its ticket (``rule.fired``): what the rule pages list,
# and how the idle check skips causes already handled without asking the bus.
rule_firings = sa.Table(
    "rule_firings",
    metadata,
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
