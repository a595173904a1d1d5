"""The Calendar aggregate: a named business calendar, replaced whole on each PUT."""

from __future__ import annotations

from typing import Any

from hub.actors import Actor
from hub.domain import Aggregate, PermissionDeniedError
from hub.sla.calendar import BusinessCalendar, check_name
from hub.sla.events import CalendarDefined


class Calendar(Aggregate):
    stream_prefix = "calendar"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.definition: dict[str, Any] = {}

    def define(self, actor: Actor, name: str, definition: dict[str, Any]) -> bool:
        """Record the new definition; ``False`` (nothing recorded) when it is unchanged."""
        if not (actor.role == "admin" or actor.can("AdminQueue")):
            raise PermissionDeniedError("defining a calendar needs AdminQueue")
        check_name(name)
        calendar = BusinessCalendar.from_dict(definition).as_dict()
        if self.exists and calendar == self.definition:
            return False
        self._record(CalendarDefined(name=name, timezone=calendar["timezone"],
                                     hours=calendar["hours"], holidays=calendar["holidays"],
                                     national=calendar.get("national")))
        return True

    def _on_CalendarDefined(self, data: dict[str, Any]) -> None:
        self.definition = {k: v for k, v in data.items() if k != "name" and v is not None}
