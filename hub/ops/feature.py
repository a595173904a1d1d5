"""Ops feature wiring: handlers, projections, reactions, jobs and routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "tickets")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Validate the ops settings (fail at start-up, not at 3 a.m.) and wire everything."""
    from hub.ops import events, handlers, jobs  # noqa: F401  (events: the registry; jobs: the job)
    from hub.ops.config import load_ops_config
    from hub.ops.metrics import MetricStore
    from hub.ops.parked import note_parked
    from hub.ops.projections import (
        AlertsProjection,
        BackupHostsProjection,
        NagiosAliasesProjection,
    )
    from hub.ops.reactors import AckBackReactor, HubRatesReactor, MetricsReactor
    from hub.ops.vrrp_review import VrrpReviewReactor

    config = load_ops_config(hub.settings.extra)
    store = MetricStore(hub.settings.data_dir / "rrd")
    hub.services["ops.config"] = config
    hub.services["ops.metrics"] = store
    handlers.register(hub.bus, config)
    hub.runner.register(AlertsProjection())
    hub.runner.register(BackupHostsProjection())
    hub.runner.register(NagiosAliasesProjection())
    hub.reactors.append(AckBackReactor(config.command_file, config))
    hub.services.setdefault("reactors.on_park", []).append(note_parked)
    hub.reactors.append(MetricsReactor(store))
    hub.reactors.append(VrrpReviewReactor(config.vrrp_settle_seconds))
    hub.reactors.append(HubRatesReactor(store))


def blueprints() -> list[Any]:
    """This feature's Flask blueprints: the alert API and the alerts page."""
    from hub.ops.api import bp
    from hub.ops.web_alerts import bp as web_bp

    return [bp, web_bp]


def init_app(app: Flask) -> None:
    """The alert API uses bearer tokens, not forms: exempt it from CSRF."""
    from hub.ops.api import bp
    from hub.webkit.security import csrf

    csrf.exempt(bp)
