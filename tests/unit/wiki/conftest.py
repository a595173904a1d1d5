"""Wiki unit tests render with no fence renderers registered.

A hub started by another test registers runbooks' ``op`` step cards with the wiki's
process-wide registry; the wiki's own rules are tested without them.
"""

from __future__ import annotations

import pytest

from hub.wiki import fences


@pytest.fixture(autouse=True)
def _no_fence_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fences, "_RENDERERS", {})
