"""Read-model tables of the web feature (declared on hub.db.metadata).

The extra indexes on ``tickets`` serve the desk's queue lists: one queue, unmerged, sorted
by number, last update or priority, a page at a time.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata
from hub.tickets.tables import tickets

saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("search_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("query", sa.JSON, nullable=False),
    sa.PrimaryKeyConstraint("username", "search_id"),
)

sa.Index("ix_web_tickets_queue_id", tickets.c.queue, tickets.c.merged_into, tickets.c.id)
sa.Index("ix_web_tickets_queue_updated", tickets.c.queue, tickets.c.merged_into,
         tickets.c.updated_at)
sa.Index("ix_web_tickets_queue_priority", tickets.c.queue, tickets.c.merged_into,
         tickets.c.priority)
sa.Index("ix_web_tickets_queue_live_status", tickets.c.queue, tickets.c.merged_into,
         tickets.c.status, tickets.c.id)
sa.Index("ix_web_tickets_owner_status", tickets.c.owner, tickets.c.status, tickets.c.id)
