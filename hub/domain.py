"""Building blocks of the domain: aggregates rebuilt from events, and domain errors.

Nothing here knows about Flask, SQLAlchemy or mail: entrypoints translate these
errors into HTTP statuses or SMTP replies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from hub import event_registry
from hub.event_registry import Event
from hub.eventstore import NewEvent, StoredEvent


class DomainError(Exception):
    """A command broke a rule; the message is safe to show to the user."""

    status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(DomainError):
    status = 422


class NotFoundError(DomainError):
    status = 404


class PermissionDeniedError(DomainError):
    status = 403


class StateConflictError(DomainError):
    """The thing exists but is not in a state that allows the command."""

    status = 409


class StaleVersionError(DomainError):
    """The caller's expected version (If-Match) is behind the stored one."""

    status = 412


class Aggregate:
    """An entity whose state is the fold of its events.

    Command methods check rules, then call ``_record``; state only changes in the
    ``_on_<EventType>`` appliers, so replaying the stream gives the same state.
    """

    stream_prefix: ClassVar[str] = ""

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self.pending: list[NewEvent] = []

    @classmethod
    def stream_id_for(cls, aggregate_id: str | int) -> str:
        return f"{cls.stream_prefix}-{aggregate_id}"

    @property
    def stream_id(self) -> str:
        return self.stream_id_for(self.id)

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self.pending)

    def _record(self, event: Event) -> None:
        """Apply a new, typed event and keep it for the unit of work to append."""
        data = event.to_data()
        self._apply(event.TYPE, data)
        self.pending.append(NewEvent(event.TYPE, data, event.VERSION))

    def _apply(self, event_type: str, data: dict[str, Any]) -> None:
        handler = getattr(self, f"_on_{event_type}", None)
        if handler is not None:
            handler(data)

    def replay(self, stored: Iterable[StoredEvent]) -> None:
        for event in stored:
            self._apply(event.type, event_registry.upcast(event.type, event.schema_version,
                                                          event.data))
            self.version = event.version
            self._observe(event)

    @classmethod
    def check_appliers(cls) -> None:
        """Every ``_on_<EventType>`` applier must name a registered event type."""
        event_registry.check_handled(cls.__name__, event_registry.handled_names(cls, "_on_"))

    def _observe(self, event: StoredEvent) -> None:
        """Hook for aggregates that keep event metadata (times, actors) in their state."""

    def mark_saved(self, version: int) -> None:
        self.version = version
        self.pending = []
