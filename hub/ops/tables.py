"""Read-model tables of the ops feature (declared on hub.db.metadata)."""

from __future__ import annotations
