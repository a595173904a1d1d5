"""Every table of the hub on one metadata, for Alembic: the feature registry loads them."""

from hub import db, reactors  # noqa: F401
from hub.features import load_tables

load_tables()
