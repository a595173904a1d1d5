"""ops: what the alerts page shows per episode (source state, since when, last output,
who acknowledged, the source's own flapping notice)

Revision ID: ops_alert_board
Revises: ops_nagios_acks

The new columns are a projection's: ``hub projections rebuild ops_alerts`` fills them
for episodes recorded before this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ops_alert_board"
down_revision: str | None = "ops_nagios_acks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("last_state", sa.String(20), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("state_since", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("output", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("acknowledged_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("ack_requested_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("source_flapping", sa.Boolean, nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for column in ("source_flapping", "ack_requested_by", "acknowledged_by", "output", "state_since",
                       "last_state"):
            batch.drop_column(column)
