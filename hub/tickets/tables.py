"""Read-model tables of the ticket feature (rebuilt from events, never written directly)."""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("queue", sa.String(64), nullable=False, index=True),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("owner", sa.String(100), nullable=True, index=True),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
    sa.Column("merged_into", sa.Integer, nullable=True),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("search_text", sa.Text, nullable=False, server_default=""),
)
sa.Index("ix_tickets_queue_status", tickets.c.queue, tickets.c.status, tickets.c.id)

ticket_watchers = sa.Table(
    "ticket_watchers",
    metadata,
    sa.Column("ticket_id", sa.Integer, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("address", sa.String(254), nullable=False),
    sa.PrimaryKeyConstraint("ticket_id", "role", "address"),
)
sa.Index("ix_ticket_watchers_address", ticket_watchers.c.address)

# The desk's queue lists: one queue, unmerged, sorted by number, last update or
# priority, a page at a time (names kept from when the desk declared them).
sa.Index("ix_web_tickets_queue_id", tickets.c.queue, tickets.c.merged_into, tickets.c.id)
sa.Index("ix_web_tickets_queue_updated", tickets.c.queue, tickets.c.merged_into,
         tickets.c.updated_at)
sa.Index("ix_web_tickets_queue_priority", tickets.c.queue, tickets.c.merged_into,
         tickets.c.priority)
sa.Index("ix_web_tickets_queue_live_status", tickets.c.queue, tickets.c.merged_into,
         tickets.c.status, tickets.c.id)
sa.Index("ix_web_tickets_owner_status", tickets.c.owner, tickets.c.status, tickets.c.id)

queues = sa.Table(
    "queues",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("address", sa.String(254), nullable=False, server_default=""),
    sa.Column("comment_address", sa.String(254), nullable=False, server_default=""),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("spec", sa.JSON, nullable=False),
)
