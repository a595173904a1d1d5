"""Read-model tables of the wiki feature (declared on hub.db.metadata)."""

from __future__ import annotations
