"""Read-model tables of the SLA feature (declared on hub.db.metadata), all projections.

``sla_calendars`` and ``sla_policies`` are this feature's own copies of calendars and
queue policies (from ``CalendarDefined``, ``QueueCreated``/``QueueChanged``), so the
clocks are computed from nothing but events, and a rebuild from position 0 gives the
same clocks. ``sla_clocks`` keeps per ticket the compact inputs (created, priority,
first staff reply, the statuses it went through) next to the computed due, warning
and stop times, so a changed policy or calendar is applied to every open ticket
without reading its stream. Times are naive UTC, as everywhere in the store.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

sla_calendars = sa.Table(
    "sla_calendars",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

sla_policies = sa.Table(
    "sla_policies",
    metadata,
    sa.Column("queue", sa.String(64), primary_key=True),  # queue key (lower case)
    sa.Column("policy", sa.JSON, nullable=True),
    sa.Column("calendar", sa.String(64), nullable=True, index=True),
    sa.Column("inactive", sa.JSON, nullable=False),  # the lifecycle's inactive statuses
)

sla_clocks = sa.Table(
    "sla_clocks",
    metadata,
    sa.Column("ticket_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("queue", sa.String(64), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("first_response_at", sa.DateTime, nullable=True),
    sa.Column("statuses", sa.JSON, nullable=False),  # [[iso, status], ...]
    sa.Column("is_open", sa.Boolean, nullable=False),
    sa.Column("response_due", sa.DateTime, nullable=True),
    sa.Column("response_warn", sa.DateTime, nullable=True),
    sa.Column("response_stopped", sa.DateTime, nullable=True),
    sa.Column("resolve_due", sa.DateTime, nullable=True),
    sa.Column("resolve_warn", sa.DateTime, nullable=True),
    sa.Column("resolve_stopped", sa.DateTime, nullable=True),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("fired", sa.JSON, nullable=False),  # ["response:sla.breach:<due iso>", ...]
    sa.Column("next_alarm", sa.DateTime, nullable=True, index=True),
    sa.Index("ix_sla_clocks_queue_open", "queue", "is_open"),
    sa.Index("ix_sla_clocks_response_due", "response_due"),
    sa.Index("ix_sla_clocks_resolve_due", "resolve_due"),
)
