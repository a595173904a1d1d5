"""Read-model tables of the ops feature (declared on hub.db.metadata).

All of them are projections of the ``alert-*`` streams and can be rebuilt from
position 0; nothing writes them except :mod:`hub.ops.projections`.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

# One row per episode of a problem: problem keys can come back (Nagios problem ids
# restart, an Events v2 dedup key triggers again), each time with a new ticket.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("problem_key", sa.String(300), nullable=False),
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("object_key", sa.String(300), nullable=False, index=True),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("host", sa.String(255), nullable=False, index=True),
    sa.Column("service", sa.String(255), nullable=True),
    sa.Column("object_type", sa.String(20), nullable=False),  # host | service | other
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("ticket_id", sa.Integer, nullable=True, index=True),
    sa.Column("parent_ticket_id", sa.Integer, nullable=True),
    sa.Column("group_key", sa.String(300), nullable=True, index=True),
    sa.Column("state", sa.String(20), nullable=False),  # open | recovered | resolved
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_at", sa.DateTime, nullable=False),
    sa.Column("last_at", sa.DateTime, nullable=False),
    sa.Column("last_delivery", sa.String(120), nullable=False),
    sa.Column("flapping", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("acknowledged", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("ack_sent", sa.Boolean, nullable=False, server_default=sa.false()),
    # For the alerts page: the source's own state word (CRITICAL, DOWN, firing) and
    # since when it holds, the last plugin output, who acknowledged (in the source or
    # through the hub), and whether the source itself reported flapping.
    sa.Column("last_state", sa.String(20), nullable=False, server_default=""),
    sa.Column("state_since", sa.DateTime, nullable=True),
    sa.Column("output", sa.Text, nullable=False, server_default=""),
    sa.Column("acknowledged_by", sa.String(100), nullable=True),
    # Who pressed Acknowledge in the hub, until Nagios confirms it or the tries give up.
    sa.Column("ack_requested_by", sa.String(100), nullable=True),
    sa.Column("source_flapping", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("problem_key", "episode"),
)

# BackupPC: the last good dump per host, for the staleness check.
backup_hosts = sa.Table(
    "backup_hosts",
    metadata,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("last_good", sa.DateTime, nullable=True),
    sa.Column("last_failure", sa.DateTime, nullable=True),
    sa.Column("last_type", sa.String(20), nullable=False, server_default=""),
)

# Nagios acknowledgements on their way: a work queue, not a projection. A row lives
# from the request (take, comment or Acknowledge) until Nagios's own status shows the
# acknowledgement, the problem is over, or the retries give up (hours, with backoff).
nagios_acks = sa.Table(
    "nagios_acks",
    metadata,
    sa.Column("problem_key", sa.String(300), nullable=False),
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("object_key", sa.String(300), nullable=False),
    sa.Column("ticket_id", sa.Integer, nullable=False, index=True),
    sa.Column("host", sa.String(255), nullable=False),  # as the alert knows it (maybe an alias)
    sa.Column("service", sa.String(255), nullable=True),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("comment", sa.String(500), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # pending|written|confirmed|failed|dropped
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("nagios_host", sa.String(255), nullable=True),  # the host_name written
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("next_at", sa.DateTime, nullable=False, index=True),
    sa.Column("written_at", sa.DateTime, nullable=True),
    sa.Column("reported", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("problem_key", "episode"),
)

# Nagios host aliases seen in the JSON feed (HOSTALIAS next to HOSTNAME): a projection
# of AlertReceived, so an alert that came by stock mail (which names the alias) can be
# acknowledged under the host name Nagios accepts.
nagios_host_aliases = sa.Table(
    "nagios_host_aliases",
    metadata,
    sa.Column("alias", sa.String(255), primary_key=True),
    sa.Column("host_name", sa.String(255), nullable=False),
)
