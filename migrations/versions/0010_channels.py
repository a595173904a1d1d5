"""notification channels: the delivery queue and users' contacts

Revision ID: 0010_channels
Revises: 0009_sla
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_channels"
down_revision: str | None = "0009_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_deliveries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("address", sa.String(2000), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=True),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("cause", sa.String(500), nullable=False),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("webhook_format", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime, nullable=True),
        sa.Column("locked_by", sa.String(300), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_channel_deliveries_username", "channel_deliveries", ["username"])
    op.create_index("ix_channel_deliveries_ticket_id", "channel_deliveries", ["ticket_id"])
    op.create_index("ix_channel_deliveries_cause", "channel_deliveries", ["cause"])
    op.create_index("ix_channel_deliveries_due", "channel_deliveries",
                    ["state", "next_attempt_at"])
    op.create_index("ix_channel_deliveries_recent", "channel_deliveries",
                    ["via", "address", "delivered_at"])
    op.create_table(
        "user_contacts",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("contacts", sa.JSON, nullable=False),
        sa.Column("quiet_hours", sa.JSON, nullable=True),
        sa.Column("xmpp", sa.String(1100), nullable=True),
        sa.Column("sms", sa.String(20), nullable=True),
    )
    op.create_index("ix_user_contacts_xmpp", "user_contacts", ["xmpp"])
    op.create_index("ix_user_contacts_sms", "user_contacts", ["sms"])


def downgrade() -> None:
    op.drop_table("user_contacts")
    op.drop_table("channel_deliveries")
