"""Tables of the mail feature (declared on hub.db.metadata).

``mail_inbox`` and ``mail_outbox`` are delivery queues, not read models: a message
is written there before we answer 250 (inbox) or before the reactor moves on
(outbox), so a crash never loses mail. ``mail_templates`` is the read model of the
MailTemplate aggregate and rebuilds from the event store like any projection.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import metadata

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

mail_inbox = sa.Table(
    "mail_inbox",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),  # smtp | imap
    sa.Column("mail_from", sa.String(320), nullable=True),  # "" is the null sender
    sa.Column("rcpts", sa.JSON, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # received | processed | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime, nullable=True),
    sa.Column("locked_by", sa.String(100), nullable=True),  # "node@host:pid" of the worker
    sa.Column("message_id", sa.String(500), nullable=True),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("processed_at", sa.DateTime, nullable=True),
)
sa.Index("ix_mail_inbox_state", mail_inbox.c.state, mail_inbox.c.id)

mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("ref", sa.String(32), nullable=False, unique=True),  # VERP outgoing id
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("ticket_id", sa.Integer, nullable=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("envelope_from", sa.String(320), nullable=False),
    sa.Column("message_id", sa.String(500), nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=True),  # rendered when sent
    sa.Column("context", sa.JSON, nullable=False),  # template input, fixed at queue time
    sa.Column("state", sa.String(20), nullable=False),  # queued | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime, nullable=True),
    sa.Column("locked_by", sa.String(100), nullable=True),  # "node@host:pid" of the sender
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=True),
)
sa.Index("ix_mail_outbox_state", mail_outbox.c.state, mail_outbox.c.next_attempt_at)

mail_autoreplies = sa.Table(
    "mail_autoreplies",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=False),
)
sa.Index("ix_mail_autoreplies_address", mail_autoreplies.c.address, mail_autoreplies.c.sent_at)

mail_templates = sa.Table(
    "mail_templates",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("html", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)
