"""The desk's ticket counts in a real RRD file: bursts in one second, quiet gaps, periods."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hub.ops import queries as oq
from hub.web.metrics import PERIODS, SOURCES, graph_spec


def test_burst_and_gap_are_counted_exactly(tmp_path: Path) -> None:
    store = oq.MetricStore(tmp_path)
    buffer = oq.CountBuffer(store)
    start = dt.datetime(2026, 1, 1, 12, 0, 30, tzinfo=dt.UTC)
    for _ in range(5):  # five tickets in the same second
        buffer.add("q", SOURCES, start, "opened")
    buffer.add("q", SOURCES, start + dt.timedelta(hours=3), "resolved")  # after a quiet gap
    buffer.flush()
    now = int((start + dt.timedelta(hours=3, minutes=5)).timestamp())
    rows = oq.count_series(store, "q", SOURCES, 4 * 3600, 60, now)
    assert oq.count_totals(rows, SOURCES) == {"opened": 5, "resolved": 1}
    busy = [(end, r) for end, r in rows if r["opened"]]
    assert busy == [(int(start.timestamp()) // 60 * 60 + 60, {"opened": 5, "resolved": 0})]
    known = [r for _, r in rows if r["opened"] is not None]
    assert len(known) > 180  # the gap reads as zeros, not as unknown


def test_each_period_has_one_resolution_named_on_its_axis() -> None:
    assert {p: PERIODS[p].per for p in PERIODS} == {
        "hours": "minute", "day": "hour", "week": "hour", "month": "day"}
    spec = graph_spec("General", "day")
    assert spec.per == "hour" and spec.what == "tickets" and "per hour" in spec.title
    assert graph_spec(None, "hours").title.startswith("Tickets opened and resolved per minute")
