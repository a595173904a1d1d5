"""wiki: keep what a TWiki import brings (form name, field labels, moves, attachment dates)

Revision ID: 0006b
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006b"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wiki_pages") as batch:
        batch.add_column(sa.Column("form", sa.String(200), nullable=True))
        batch.add_column(sa.Column("field_titles", sa.JSON, nullable=True))
        batch.add_column(sa.Column("moved", sa.JSON, nullable=True))
    with op.batch_alter_table("wiki_attachments") as batch:
        batch.add_column(sa.Column("original_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("hidden", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wiki_attachments") as batch:
        batch.drop_column("hidden")
        batch.drop_column("original_at")
    with op.batch_alter_table("wiki_pages") as batch:
        batch.drop_column("moved")
        batch.drop_column("field_titles")
        batch.drop_column("form")
