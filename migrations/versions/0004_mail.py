"""mail gateway: inbox, outbox, autoreply log, template overrides

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("mail",)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "mail_inbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("mail_from", sa.String(320), nullable=True),
        sa.Column("rcpts", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime, nullable=True),
        sa.Column("locked_by", sa.String(100), nullable=True),  # "host:pid" of the worker
        sa.Column("message_id", sa.String(500), nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("processed_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_mail_inbox_state", "mail_inbox", ["state", "id"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("envelope_from", sa.String(320), nullable=False),
        sa.Column("message_id", sa.String(500), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=True),  # rendered when sent
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_mail_outbox_state", "mail_outbox", ["state", "next_attempt_at"])
    op.create_table(
        "mail_autoreplies",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_mail_autoreplies_address", "mail_autoreplies", ["address", "sent_at"])
    op.create_table(
        "mail_templates",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_templates")
    op.drop_index("ix_mail_autoreplies_address", "mail_autoreplies")
    op.drop_table("mail_autoreplies")
    op.drop_index("ix_mail_outbox_state", "mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index("ix_mail_inbox_state", "mail_inbox")
    op.drop_table("mail_inbox")
