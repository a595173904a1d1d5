"""Shared helpers for the mail unit tests: fixture loading and the test secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hub.mail.parsing import ParsedMail, parse_message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"


@pytest.fixture
def raw() -> Callable[[str], bytes]:
    def load(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return load


@pytest.fixture
def parsed() -> Callable[[str], ParsedMail]:
    def load(name: str) -> ParsedMail:
        return parse_message((FIXTURES / name).read_bytes())

    return load
