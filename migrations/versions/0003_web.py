"""web desk: groups, rights, saved searches, queue-list indexes

Revision ID: 0003_web
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_web"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("web",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "group_members",
        sa.Column("group_name", sa.String(100), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("group_name", "username"),
    )
    op.create_index("ix_group_members_username", "group_members", ["username"])
    op.create_table(
        "acl_grants",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(120), nullable=False),
        sa.Column("right_name", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("scope", "principal", "right_name"),
    )
    op.create_table(
        "saved_searches",
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("search_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("query", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("username", "search_id"),
    )
    op.create_index("ix_web_tickets_queue_id", "tickets", ["queue", "merged_into", "id"])
    op.create_index("ix_web_tickets_queue_updated", "tickets",
                    ["queue", "merged_into", "updated_at"])
    op.create_index("ix_web_tickets_queue_priority", "tickets",
                    ["queue", "merged_into", "priority"])
    op.create_index("ix_web_tickets_queue_live_status", "tickets",
                    ["queue", "merged_into", "status", "id"])
    op.create_index("ix_web_tickets_owner_status", "tickets", ["owner", "status", "id"])


def downgrade() -> None:
    for name in ("ix_web_tickets_owner_status", "ix_web_tickets_queue_live_status",
                 "ix_web_tickets_queue_priority",
                 "ix_web_tickets_queue_updated", "ix_web_tickets_queue_id"):
        op.drop_index(name, table_name="tickets")
    op.drop_table("saved_searches")
    op.drop_table("acl_grants")
    op.drop_index("ix_group_members_username", table_name="group_members")
    op.drop_table("group_members")
    op.drop_table("groups")
