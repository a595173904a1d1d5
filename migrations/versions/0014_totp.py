"""second factors: TOTP secrets (encrypted) and recovery codes (hashed)

Revision ID: 0014_totp
Revises: 0013_directory
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_totp"
down_revision: str | None = "0013_directory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "totp_factors",
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("secret_box", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("confirmed_at", sa.DateTime, nullable=True),
        sa.Column("last_step", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("username", "state"),
    )
    op.create_table(
        "totp_recovery_codes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("code_hash", sa.String(300), nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_totp_recovery_codes_username", "totp_recovery_codes", ["username"])


def downgrade() -> None:
    op.drop_index("ix_totp_recovery_codes_username", table_name="totp_recovery_codes")
    op.drop_table("totp_recovery_codes")
    op.drop_table("totp_factors")
