"""Read-model tables of the mail feature (declared on hub.db.metadata)."""

from __future__ import annotations
