"""Fuzz the mail parser and the pipeline's translation with mutated real messages.

Starting from the fixtures in tests/fixtures/mail, hypothesis flips bytes, drops,
duplicates and inserts headers (forged Authentication-Results, thousands of Cc, odd
``Run:`` lines), breaks MIME boundaries and line endings, and truncates. The parser
must never raise and must stay fast; the pipeline must turn every message into a
ticket or an update (or refuse it with a domain error), never crash. The example
budget is bounded so this runs in well under a minute in CI.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_support import make_hub
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mail_support import DOMAIN, FIXTURES

from hub.bootstrap import Hub
from hub.mail.inbox import claim, store_incoming
from hub.mail.parsing import parse_message
from hub.mail.pipeline import Pipeline

SEEDS = sorted(p.read_bytes() for p in FIXTURES.glob("*.eml"))
ACTIONS = {"created", "correspond", "comment", "ignored", "alert", "bounce", "bounce_ignored",
           "admin_queue"}
CRASH = re.compile(r"^[A-Z]\w*(Error|Exception|Warning)\b")

HEADERS = st.sampled_from([
    b"Authentication-Results: mx.example.com; dkim=pass header.d=example.com",
    b"Authentication-Results: ;;;; dkim==pass (((",
    b"Authentication-Results: mx.example.com; dkim=pass header.d=",
    b"Received: from \xff\xfe by mx",
    b"From: alice@example.com, bob@example.com",
    b"From: =?utf-8?b?////?= <>",
    b"Cc: " + b", ".join(b"x%d@example.org" % i for i in range(2000)),
    b"To: general+t1.aaaaaaaa.bbbbbbbbbb@" + DOMAIN.encode(),
    b"Subject: [hub #1] \xe9\x00\x1b",
    b"Content-Type: multipart/mixed; boundary=\"\"",
    b"Content-Type: text/plain; charset=x-unknown-\xff",
    b"Content-Transfer-Encoding: base64",
    b"In-Reply-To: <hub.t1.e1.aaaaaaaaaa@" + DOMAIN.encode() + b">",
    b"Auto-Submitted: auto-replied",
    b"Message-ID: <" + b"a" * 5000 + b">",
])
BODY_LINES = st.sampled_from([
    b"Run: Ops.Restore password='unterminated",
    b"Run: Ops.Restore password=hunter22 token=\"a b\"",
    b"Status: resolved",
    b"Priority: 999999999999999999999",
    b"Time-Worked: 99999h",
    b"Due: 2026-13-45",
    b"--boundary--",
    b"=?utf-8?q?=ZZ?=",
    b"\x00\x01\x02\xff",
])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "header", "drop", "body", "eol", "cut", "dup"]))
        if kind == "flip" and raw:
            at = draw(st.integers(0, len(raw) - 1))
            raw[at] = draw(st.integers(0, 255))
        elif kind == "header":
            raw[0:0] = draw(HEADERS) + b"\r\n"
        elif kind == "drop":
            lines = bytes(raw).split(b"\n")
            if len(lines) > 1:
                del lines[draw(st.integers(0, len(lines) - 1))]
            raw = bytearray(b"\n".join(lines))
        elif kind == "body":
            split = bytes(raw).find(b"\n\n")
            at = len(raw) if split < 0 else split + 2
            raw[at:at] = draw(BODY_LINES) + b"\n"
        elif kind == "eol":
            raw = bytearray(bytes(raw).replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
        elif kind == "cut" and raw:
            raw = raw[: draw(st.integers(0, len(raw)))]
        elif kind == "dup":
            raw += raw[: draw(st.integers(0, min(len(raw), 4000)))]
    return bytes(raw)


@settings(max_examples=1000, deadline=2000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=mutated())
def test_parser_never_raises_and_is_fast(raw: bytes) -> None:
    started = time.monotonic()
    parsed = parse_message(raw, envelope_from="someone@example.com")
    assert time.monotonic() - started < 2
    assert parsed.message_id.startswith("<") and isinstance(parsed.text, str)
    assert len(parsed.trace) <= 100


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = make_hub(Path(tmp_path_factory.mktemp("fuzz")))
    yield hub
    hub.engine.dispose()


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(raw=mutated(), sender=st.sampled_from(["customer@example.com", "alice@example.com",
                                              "", "MAILER-DAEMON@example.org"]))
def test_pipeline_turns_every_message_into_a_ticket_or_an_update(
        fuzz_hub: Hub, raw: bytes, sender: str) -> None:
    item_id = store_incoming(fuzz_hub, raw, sender, [f"general@{DOMAIN}"])
    (item,) = claim(fuzz_hub, ids=[item_id])
    started = time.monotonic()
    state, result, error, _ = Pipeline(fuzz_hub).process(item)
    assert time.monotonic() - started < 10
    if state == "processed":
        assert result is not None and result["action"] in ACTIONS, result
        if result["action"] in {"created", "correspond", "comment", "admin_queue"}:
            assert int(result["ticket_id"]) > 0
    else:
        assert state == "failed" and error and not CRASH.match(error), error
        assert "hunter22" not in error
        # Refused, never dropped: an admin-queue ticket holds the original.
        assert result is not None and result["action"] == "admin_queue", result
        assert int(result["ticket_id"]) > 0
