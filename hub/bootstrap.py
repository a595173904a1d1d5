"""Wire the hub together once: engine, event store, projections, bus and handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from hub.config import Settings, load_settings
from hub.db import make_engine
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
    return hub
