"""Alembic environment: the schema is hub.db.metadata, the URL comes from hub settings."""

from __future__ import annotations

from alembic import context

import hub.models  # noqa: F401  (registers every feature's tables on the metadata)
from hub.config import load_settings
from hub.db import make_engine, metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().sqlalchemy_url
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
