"""Counting into a real RRD file: bursts in one second, quiet gaps, totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import rrdtool

from hub.ops.metrics import MetricStore
from hub.web.metrics import STEP, count, touch


def test_burst_and_gap_are_counted_exactly(tmp_path: Path) -> None:
    store = MetricStore(tmp_path)
    start = dt.datetime(2026, 1, 1, 12, 0, 30, tzinfo=dt.UTC)
    for _ in range(5):  # five tickets in the same second
        count(store, "q", "opened", start)
    count(store, "q", "resolved", start + dt.timedelta(hours=3))  # after a quiet gap
    end = start + dt.timedelta(hours=3, minutes=5)
    touch(store, "q", end)
    (_first, _, step), names, rows = rrdtool.fetch(
        str(store.file("q")), "AVERAGE", "--start", str(int(start.timestamp()) - 600),
        "--end", str(int(end.timestamp())))
    assert step == STEP
    sums = {n: sum((r[i] or 0) * step for r in rows) for i, n in enumerate(names)}
    assert round(sums["opened"], 3) == 5
    assert round(sums["resolved"], 3) == 1
    known = [r for r in rows if r[0] is not None]
    assert len(known) > 150  # the gap was filled with zeros, not left unknown
