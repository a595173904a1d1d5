"""Read-model tables of the runbooks feature (declared on hub.db.metadata).

``runbook_runs`` and ``runbook_suggestions`` are projections of the run and
suggestion streams (rebuilt by ``hub projections rebuild``). ``runbook_leases`` is
deliberately not a projection: a lease is a short-lived claim on an outside
resource that must be exclusive *now*, so the primary key on ``resource`` is the
database-level guard, and rows expire on their own when a holder dies.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

runbook_runs = sa.Table(
    "runbook_runs",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("runbook", sa.String(200), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("ticket_id", sa.BigInteger, nullable=True, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_by", sa.String(100), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
)

runbook_suggestions = sa.Table(
    "runbook_suggestions",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("runbook", sa.String(200), primary_key=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("reason", sa.String(500), nullable=False, server_default=""),
    sa.Column("suggested_by", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

runbook_leases = sa.Table(
    "runbook_leases",
    metadata,
    sa.Column("resource", sa.String(300), primary_key=True),
    sa.Column("token", sa.BigInteger, nullable=False),
    sa.Column("holder", sa.String(300), nullable=False),
    sa.Column("run_id", sa.BigInteger, nullable=True),
    sa.Column("step", sa.Integer, nullable=True),
    sa.Column("taken_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)
