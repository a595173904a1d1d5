"""Typed reads of the desk's own data: a user's saved searches."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.web.searches import list_searches

__all__ = ["saved_searches"]


def saved_searches(conn: sa.Connection, user: str) -> list[dict[str, Any]]:
    """The saved searches of ``user``, in the order they were saved."""
    return list_searches(conn, user)
