"""wiki read models and edit leases

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("wiki",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wiki_pages",
        sa.Column("web", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("original_at", sa.String(40), nullable=True),
        sa.Column("summary", sa.String(500), nullable=False, server_default=""),
        sa.Column("parent", sa.String(200), nullable=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("acl", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("web", "topic"),
    )
    op.create_table(
        "wiki_revisions",
        sa.Column("web", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("original_at", sa.String(40), nullable=True),
        sa.Column("summary", sa.String(500), nullable=False, server_default=""),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("web", "topic", "revision"),
    )
    op.create_index("ix_wiki_revisions_position", "wiki_revisions", ["position"])
    op.create_index("ix_wiki_revisions_web_position", "wiki_revisions", ["web", "position"])
    op.create_table(
        "wiki_links",
        sa.Column("src_web", sa.String(100), nullable=False),
        sa.Column("src_topic", sa.String(100), nullable=False),
        sa.Column("dst_web", sa.String(100), nullable=False),
        sa.Column("dst_topic", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("src_web", "src_topic", "dst_web", "dst_topic"),
    )
    op.create_index("ix_wiki_links_dst", "wiki_links", ["dst_web", "dst_topic"])
    op.create_table(
        "wiki_attachments",
        sa.Column("web", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("comment", sa.String(500), nullable=False, server_default=""),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("web", "topic", "name", "version"),
    )
    op.create_table(
        "wiki_subscriptions",
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("web", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("username", "web", "topic"),
    )
    op.create_table(
        "wiki_digests",
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("upto", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "wiki_edit_leases",
        sa.Column("web", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("web", "topic", "username"),
    )


def downgrade() -> None:
    for name in ("wiki_edit_leases", "wiki_digests", "wiki_subscriptions", "wiki_attachments",
                 "wiki_links", "wiki_revisions", "wiki_pages"):
        op.drop_table(name)
