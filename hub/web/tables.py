"""Read-model tables of the web feature (declared on hub.db.metadata)."""

from __future__ import annotations
