"""The browser the end-to-end tests drive: Debian's chromium, headless, never a download.

Debian's chromium as root needs these flags and a fresh profile. Without chromium (or
playwright) a test is skipped with the reason, except under CI (``CI`` set, as
``make test`` on the CI machine runs), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
TIMEOUT_MS = 60_000  # a loaded two-core machine: generous, never a tight wait


def _playwright() -> Any:
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "playwright is not installed"
    if missing is None and not CHROMIUM.exists():
        missing = "Debian chromium is not installed"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    return sync_api


@pytest.fixture
def browser() -> Iterator[Any]:
    """A persistent context of its own (fresh profile, own cookies)."""
    api = _playwright()
    with tempfile.TemporaryDirectory() as profile, api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module; tests open their own contexts in it."""
    api = _playwright()
    with api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
