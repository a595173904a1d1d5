"""Read-model tables of the runbooks feature (declared on hub.db.metadata)."""

from __future__ import annotations
