"""Read-model tables of the on-call feature (declared on hub.db.metadata).

All three are projections of the feature's streams and are rebuilt by ``hub
projections rebuild``; the page table keeps ``next_at`` as a column so the
escalation job finds the pages that are due with one indexed query.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

oncall_schedules = sa.Table(
    "oncall_schedules",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

oncall_policies = sa.Table(
    "oncall_policies",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

pages = sa.Table(
    "pages",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ticket_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("policy", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("code", sa.String(12), nullable=False, index=True),
    sa.Column("next_at", sa.DateTime, nullable=True, index=True),
    sa.Column("triggered_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
)
