"""A database written by the previous release keeps working: migrate, rebuild, compare.

``tests/fixtures/previous-release/hub.db`` was made by release 0.1.0 through its real
paths (API, SMTP, alerts, wiki, runbook runs, grants). Its stored events must decode
into today's typed events unchanged, its read models (written by the old code) must
equal what today's projections rebuild from the same events, and random commands on
top of it must keep rebuild and live read models equal.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_projections import (
    OPS_FIELDS,
    STRICT_LIFECYCLE,
    check_rebuild_is_identical,
    exercise,
    hub_at,
    read_models,
    rebuild,
)

from hub import event_registry
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.db import events
from hub.domain import DomainError
from hub.migrate import upgrade
from hub.tickets import commands as tc

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "previous-release" / "hub.db"


def _copy(root: Path) -> Path:
    data_dir = root / uuid.uuid4().hex[:10]
    data_dir.mkdir(parents=True)
    shutil.copy(FIXTURE, data_dir / "hub.db")
    return data_dir


@pytest.fixture
def old_hub(tmp_path: Path) -> Iterator[Hub]:
    hub = hub_at(_copy(tmp_path))
    upgrade(hub.engine)
    yield hub
    hub.engine.dispose()


def _without_nones(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def test_fixture_covers_every_feature(old_hub: Hub) -> None:
    with old_hub.engine.connect() as conn:
        types = set(conn.execute(sa.select(events.c.type).distinct()).scalars())
    assert {"TicketCreated", "TicketCommented", "TicketMerged", "RightGranted", "GroupCreated",
            "PageRevised", "PageRenamed", "AttachmentAdded", "AlertReceived", "RunStarted",
            "StepApplied", "RunCompleted"} <= types


def test_every_stored_event_decodes_into_its_typed_event_unchanged(old_hub: Hub) -> None:
    with old_hub.engine.connect() as conn:
        stored = list(old_hub.store.read_all(conn, 0, 100_000))
    assert len(stored) > 90
    for event in stored:
        typed = event_registry.decode(event.type, event.schema_version, event.data)
        assert event.type == type(typed).TYPE
        assert _without_nones(typed.to_data()) == _without_nones(event.data), event.type


def _projected_by_old_release(hub: Hub) -> set[str]:
    with hub.engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT name FROM projection_positions")).scalars())


ALERT_BOARD_COLUMNS = frozenset({"last_state", "state_since", "output", "acknowledged_by",
                                 "ack_requested_by", "source_flapping"})


#: What a run shows since runs tell what happened (times, why it stopped or was aborted)
#: and steps their condition and who skipped them and why.
RUN_ADDITIONS = frozenset({"started_at", "finished_at", "failed_step", "abort_reason",
                           "aborted_by"})
STEP_ADDITIONS = frozenset({"plan_digest", "when", "failed_phase", "skipped_by",
                            "skip_reason"})


def _without_additions(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row without the read-model fields this release added on purpose.

    Each addition is listed here by name, so an unintended change still fails:
    ``plan_digest`` on a run's steps (approvals name the plan they approve), and the run
    and step fields of :data:`RUN_ADDITIONS` and :data:`STEP_ADDITIONS`; what the
    alerts page shows of an alert episode (:data:`ALERT_BOARD_COLUMNS`).
    """
    if table == "ops_alerts.alerts":
        row = {k: v for k, v in row.items() if k not in ALERT_BOARD_COLUMNS}
    if table == "runbook_runs.runbook_runs" and isinstance(row.get("state"), dict):
        state = {k: v for k, v in row["state"].items() if k not in RUN_ADDITIONS}
        state["steps"] = [{k: v for k, v in step.items() if k not in STEP_ADDITIONS}
                          for step in state.get("steps", [])]
        row = {**row, "state": state}
    return row


def _old_tables(hub: Hub, known: set[str]) -> dict[str, Any]:
    models = read_models(hub)
    return {k: [_without_additions(k, row) for row in v] for k, v in models.items()
            if k.split(".", 1)[0] in known}


def test_rebuild_gives_the_read_models_the_previous_release_wrote(old_hub: Hub) -> None:
    known = _projected_by_old_release(old_hub)
    assert {"tickets", "wiki"} <= {name.split(":")[0] for name in known} | known
    before = _old_tables(old_hub, known)
    assert any(rows for rows in before.values())
    with old_hub.engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert rebuild(old_hub) == count
    assert _old_tables(old_hub, known) == before


def _add_what_the_driver_needs(hub: Hub) -> None:
    cli = system_actor("cli")
    for cmd in (ac.CreateUser(name="tess", email="tess@example.com", role="staff",
                              password="password123"),
                tc.CreateQueue(name="Ops", custom_fields=OPS_FIELDS),
                tc.CreateQueue(name="Strict", lifecycle=STRICT_LIFECYCLE,
                               customers_may_create=False, reopen_policy="new_ticket")):
        with contextlib.suppress(DomainError):
            hub.bus.handle(cmd, cli)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = _copy(tmp_path_factory.mktemp("previous"))
    hub = hub_at(data_dir)
    upgrade(hub.engine)
    rebuild(hub)  # as `hub projections rebuild` after an upgrade: new read-model fields filled
    _add_what_the_driver_needs(hub)
    hub.engine.dispose()
    yield data_dir / "hub.db"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_random_commands_on_the_previous_release_keep_rebuilds_identical(
        data: st.DataObject, migrated_template: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / uuid.uuid4().hex[:10]
    data_dir.mkdir()
    shutil.copy(migrated_template, data_dir / "hub.db")
    hub = hub_at(data_dir)
    try:
        exercise(hub, data, steps=20)
        check_rebuild_is_identical(hub)
    finally:
        hub.engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)
