"""A real OpenLDAP (Debian's slapd) and a hub pointed at it through HUB_LDAP_*."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from directory_support import DirectoryDesk, make_desk
from ldap_support import Slapd, start_slapd


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    server = start_slapd(tmp_path / "ldap")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def desk_factory(tmp_path: Path, slapd: Slapd) -> Iterator[Callable[..., DirectoryDesk]]:
    made: list[DirectoryDesk] = []

    def factory(**env: str) -> DirectoryDesk:
        made.append(make_desk(tmp_path / f"hub{len(made)}", slapd, **env))
        return made[-1]

    yield factory
    for desk in made:
        desk.hub.engine.dispose()


@pytest.fixture
def desk(desk_factory: Callable[..., DirectoryDesk]) -> DirectoryDesk:
    return desk_factory()
