"""Fixtures for the rules tests: a hub whose rule engine has its starting position."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_support import add_user, fresh_postgres_db, make_hub
from rules_support import prime

from hub.bootstrap import Hub


def _ready(tmp_path: Path, url: str | None = None) -> Hub:
    hub = make_hub(tmp_path, url)
    add_user(hub, "alice", "staff")
    add_user(hub, "bob", "staff")
    add_user(hub, "carol", "customer", email="customer@example.com")
    prime(hub)
    return hub


@pytest.fixture(params=["sqlite", "postgresql"])
def any_rhub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """The same rules hub on both databases (firings, positions and keys on each)."""
    hub = _ready(tmp_path, fresh_postgres_db() if request.param == "postgresql" else None)
    yield hub
    hub.engine.dispose()


@pytest.fixture
def rhub(tmp_path: Path) -> Iterator[Hub]:
    hub = _ready(tmp_path)
    yield hub
    hub.engine.dispose()
