"""Read-model tables of the wiki feature (declared on hub.db.metadata).

Everything here except ``wiki_edit_leases`` is a projection of the page and
subscription streams and is rebuilt by ``hub projections rebuild wiki``.
``wiki_edit_leases`` is deliberately *not* event-sourced: "X is editing this page"
is a hint that expires after minutes, so it lives only in this table and is written
directly by the editor view (losing it loses nothing).
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

wiki_pages = sa.Table(
    "wiki_pages",
    metadata,
    sa.Column("web", sa.String(100), primary_key=True),
    sa.Column("topic", sa.String(100), primary_key=True),
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
    # From TWiki's META (migration 0006b): DataForm name, field labels, the last move.
    sa.Column("form", sa.String(200), nullable=True),
    sa.Column("field_titles", sa.JSON, nullable=True),
    sa.Column("moved", sa.JSON, nullable=True),
)

wiki_revisions = sa.Table(
    "wiki_revisions",
    metadata,
    sa.Column("web", sa.String(100), primary_key=True),
    sa.Column("topic", sa.String(100), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("original_at", sa.String(40), nullable=True),
    sa.Column("summary", sa.String(500), nullable=False, server_default=""),
    sa.Column("kind", sa.String(20), nullable=False),
)
sa.Index("ix_wiki_revisions_web_position", wiki_revisions.c.web, wiki_revisions.c.position)

wiki_links = sa.Table(
    "wiki_links",
    metadata,
    sa.Column("src_web", sa.String(100), primary_key=True),
    sa.Column("src_topic", sa.String(100), primary_key=True),
    sa.Column("dst_web", sa.String(100), primary_key=True),
    sa.Column("dst_topic", sa.String(100), primary_key=True),
)
sa.Index("ix_wiki_links_dst", wiki_links.c.dst_web, wiki_links.c.dst_topic)

wiki_attachments = sa.Table(
    "wiki_attachments",
    metadata,
    sa.Column("web", sa.String(100), primary_key=True),
    sa.Column("topic", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content_type", sa.String(200), nullable=False),
    sa.Column("comment", sa.String(500), nullable=False, server_default=""),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("original_at", sa.String(40), nullable=True),
    sa.Column("hidden", sa.Boolean, nullable=True),
)

wiki_subscriptions = sa.Table(
    "wiki_subscriptions",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("web", sa.String(100), primary_key=True),
    sa.Column("topic", sa.String(100), primary_key=True),  # "" = the whole web
)

wiki_digests = sa.Table(
    "wiki_digests",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("upto", sa.BigInteger, nullable=False),
)

# Ephemeral, not a projection (see the module docstring).
wiki_edit_leases = sa.Table(
    "wiki_edit_leases",
    metadata,
    sa.Column("web", sa.String(100), primary_key=True),
    sa.Column("topic", sa.String(100), primary_key=True),
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)
