"""The delivery queue: one row per notification, a projection of its stream.

``state``, ``attempts``, ``next_attempt_at`` and ``delivered_at`` follow the events
(queued, failed with a retry time, delivered, failed for good), so a rebuild gives the
same queue. ``locked_until``/``locked_by`` are the sender's lease (as in the mail
outbox: a row is taken by one sender in the cluster, and a dead sender's rows are
taken over when the lease ends); ``last_error`` also notes why a due row waits (a
rate limit), which no event needs to remember.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

channel_deliveries = sa.Table(
    "channel_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("via", sa.String(20), nullable=False),
    sa.Column("username", sa.String(100), nullable=True, index=True),
    sa.Column("address", sa.String(2000), nullable=False),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("ticket_id", sa.BigInteger, nullable=True, index=True),
    sa.Column("urgent", sa.Boolean, nullable=False),
    sa.Column("cause", sa.String(500), nullable=False, index=True),
    sa.Column("payload", sa.JSON, nullable=True),
    sa.Column("webhook_format", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # queued|held_quiet|delivered|failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime, nullable=True),
    sa.Column("locked_by", sa.String(300), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("delivered_at", sa.DateTime, nullable=True),
)
sa.Index("ix_channel_deliveries_due", channel_deliveries.c.state,
         channel_deliveries.c.next_attempt_at)
sa.Index("ix_channel_deliveries_recent", channel_deliveries.c.via,
         channel_deliveries.c.address, channel_deliveries.c.delivered_at)
