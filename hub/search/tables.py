"""Read-model tables of the search feature (declared on hub.db.metadata)."""

from __future__ import annotations
