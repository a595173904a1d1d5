"""What others may ask the SLA feature to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DefineCalendar:
    """Create or replace the business calendar ``name`` (admins or AdminQueue)."""

    name: str
    definition: dict[str, Any]
