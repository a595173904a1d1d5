"""Wire the hub together once: engine, event store, projections, bus and handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from hub import event_registry
from hub.config import Settings, load_settings
from hub.db import make_engine
from hub.domain import Aggregate
from hub.eventstore import EventStore
from hub.features import register_all
from hub.messagebus import MessageBus
from hub.projections import ProjectionRunner


@dataclass
class Hub:
    """Everything an entrypoint needs, built by ``bootstrap``."""

    settings: Settings
    engine: Engine
    store: EventStore
    runner: ProjectionRunner
    bus: MessageBus
    services: dict[str, Any] = field(default_factory=dict)
    reactors: list[Any] = field(default_factory=list)


def bootstrap(settings: Settings | None = None, engine: Engine | None = None) -> Hub:
    settings = settings or load_settings()
    settings.ensure_dirs()
    engine = engine or make_engine(settings.sqlalchemy_url)
    store = EventStore()
    runner = ProjectionRunner(store)
    bus = MessageBus(engine, store, runner)
    hub = Hub(settings=settings, engine=engine, store=store, runner=runner, bus=bus)
    register_all(hub)
    check_event_handlers(hub)
    return hub


def _aggregate_classes(cls: type[Aggregate] = Aggregate) -> list[type[Aggregate]]:
    out: list[type[Aggregate]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_aggregate_classes(sub))
    return out


def check_event_handlers(hub: Hub) -> None:
    """Refuse to start when an applier, projection or reactor names an unknown event type.

    A misspelled ``on_TicketCorespnded`` would otherwise never run and nobody would know.
    """
    for cls in _aggregate_classes():
        cls.check_appliers()
    for name, projection in hub.runner.projections.items():
        event_registry.check_handled(f"projection {name}",
                                     event_registry.handled_names(projection, "on_"))
    for reactor in hub.reactors:
        names = event_registry.handled_names(reactor, "on_")
        names |= set(getattr(reactor, "event_types", ()))
        event_registry.check_handled(f"reactor {reactor.name}", names)
