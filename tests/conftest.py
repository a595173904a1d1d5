"""Shared fixtures: a migrated hub on SQLite (or PostgreSQL), and a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_support import (  # noqa: F401  (re-exported for tests that import conftest)
    ROOT,
    Server,
    add_user,
    free_port,
    fresh_postgres_db,
    make_hub,
    make_token,
    postgres_url,
    shared_dir,
)

from hub.bootstrap import Hub

# Servers the tests start serve with one web process unless a test asks for more
# (``--workers N``): the gunicorn path has tests of its own, and five processes per
# server would make the suite several times slower on two cores.
os.environ.setdefault("HUB_WEB_WORKERS", "1")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = make_hub(tmp_path)
    yield h
    h.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """The same hub on both databases: contract tests run against each."""
    url = fresh_postgres_db() if request.param == "postgresql" else None
    h = make_hub(tmp_path, url)
    yield h
    h.engine.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Hub]]:
    """A running server and a Hub on the same database (for set-up through the CLI path)."""
    data_dir = tmp_path / "var"
    hub = make_hub(tmp_path)
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": ""}
    srv = Server(data_dir, env)
    srv.start("--no-scheduler")
    yield srv, hub
    srv.stop()
    hub.engine.dispose()
