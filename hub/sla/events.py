"""What the SLA feature tells the world: calendars defined (stream ``calendar-<name>``).

SLA warnings and breaches are not events of this feature: they are recorded on the
ticket itself (``TicketActivityRecorded`` with kind ``sla.warning`` or ``sla.breach``),
which is what rules react to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class CalendarDefined(Event):
    """A calendar's whole definition as it now stands (hours, holidays, zone)."""

    name: str
    timezone: str
    hours: dict[str, list[str]]
    holidays: list[str]
    national: dict[str, Any] | None = None
