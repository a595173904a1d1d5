"""blobs in the database (PostgreSQL nodes share no filesystem)

Revision ID: 0008_blobs
Revises: 0002

Created on every dialect so the schema is one, but only PostgreSQL stores bytes here:
SQLite keeps its blobs as files under the data dir.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_blobs"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("blobs",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blobs")
