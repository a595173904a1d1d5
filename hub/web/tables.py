"""Read-model tables of the web feature (declared on hub.db.metadata).

The desk's indexes on ``tickets`` (``ix_web_tickets_*``) are declared with that
table in :mod:`hub.tickets.tables`: the desk does not touch tickets' tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("search_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("query", sa.JSON, nullable=False),
    sa.PrimaryKeyConstraint("username", "search_id"),
)
