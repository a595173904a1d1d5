"""Runbooks feature wiring: handlers, projections, reactions, jobs and routes."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from hub.runbooks import commands as c
from hub.runbooks import events, step_cards  # noqa: F401  (events: registers the types)
from hub.runbooks.handlers import RunbookHandlers
from hub.runbooks.projections import RunsProjection
from hub.runbooks.reactors import AlertRunbookSuggester, RunPlanner
from hub.runbooks.suggestions import SuggestionsProjection, suggest, suggest_routed
from hub.runbooks.ticket_steps import apply_ticket_step

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("ops", "tickets", "wiki")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Register this feature's command handlers, projections, reactions and jobs on the hub,
    and its step cards for ``op`` blocks with the wiki (which sits below runbooks)."""
    h = RunbookHandlers(hub)
    bus = hub.bus
    bus.register(c.StartRun, h.start_run)
    bus.register(c.RecordPlan, h.record_plan)
    bus.register(c.ApproveStep, h.approve_step)
    bus.register(c.BeginApply, h.begin_apply)
    bus.register(c.RecordApplied, h.record_applied)
    bus.register(c.RecordVerified, h.record_verified)
    bus.register(c.RecordFailed, h.record_failed)
    bus.register(c.CancelApply, h.cancel_apply)
    bus.register(c.RecordInverse, h.record_inverse)
    bus.register(c.ReleaseLeases, h.release_leases)
    bus.register(c.SkipStep, h.skip_step)
    bus.register(c.AbortRun, h.abort_run)
    bus.register(c.ApplyTicketStep, partial(apply_ticket_step, h))
    bus.register(c.SuggestRunbook, suggest)
    bus.register(c.SuggestRoutedRunbook, suggest_routed)
    hub.runner.register(RunsProjection(hub.store))
    hub.runner.register(SuggestionsProjection())
    hub.reactors.append(RunPlanner())
    suggester = AlertRunbookSuggester()
    hub.reactors.append(suggester)
    suggester.subscribe(hub)
    step_cards.register()
    _register_schedules()



def _register_schedules() -> None:
    from hub.runbooks.schedule import add_jobs
    from hub.scheduler import register_jobs

    register_jobs(add_jobs)

def blueprints() -> list[Any]:
    """This feature's Flask blueprints."""
    from hub.runbooks.api import bp as api_bp
    from hub.runbooks.web import bp as web_bp

    return [api_bp, web_bp]


def init_app(app: Flask) -> None:
    """The JSON API authenticates with bearer tokens: no CSRF token there. Templates of
    other features may include ``runbooks/_ticket_runs.html``, which reads its runs
    through the ``ticket_runs_box`` global registered here."""
    from hub.runbooks.api import bp as api_bp
    from hub.runbooks.web import ticket_runs_box
    from hub.webkit.security import csrf

    csrf.exempt(api_bp)
    app.jinja_env.globals["ticket_runs_box"] = ticket_runs_box


def cli_commands() -> list[Any]:
    from hub.runbooks.cli import group

    return [group]
