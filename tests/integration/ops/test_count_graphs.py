"""Graphs that tell the truth, on real RRD files through real rrdtool.

A burst of 200 events in one minute is 200 on the per-minute graph and 200 in its
hour on the per-hour graph, as whole numbers; the running minute is drawn at once;
perfdata in seconds and in bytes never share an axis.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
import rrdtool

from hub.bootstrap import Hub
from hub.ops import counts
from hub.ops.metrics import MetricStore
from hub.ops.reactors import signal_units
from hub.reactors import run_once

NAGIOS = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
              / "shared") / "data" / "nagios" / "json"

NOW = int(dt.datetime(2026, 11, 25, 12, 34, 50, tzinfo=dt.UTC).timestamp())
BURST = int(dt.datetime(2026, 11, 25, 12, 10, 0, tzinfo=dt.UTC).timestamp())
SOURCES = ("opened", "resolved")


def at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def burst_store(tmp_path: Path) -> MetricStore:
    """200 tickets between 12:10:00 and 12:10:59 (40 of them in one second), 3 resolved
    at 11:58, and 7 opened in the running minute 12:34."""
    store = MetricStore(tmp_path)
    buffer = counts.CountBuffer(store)
    for second in range(3):
        buffer.add("q", SOURCES, at(BURST - 720 + second), "resolved")
    times = [BURST + 7] * 40 + [BURST + 8 + i // 4 for i in range(160)]  # ends at 12:10:47
    for stamp in times:
        buffer.add("q", SOURCES, at(stamp), "opened")
    for stamp in range(7):
        buffer.add("q", SOURCES, at(NOW - 40 + stamp), "opened")
    buffer.flush()
    return store


def by_end(rows: list[tuple[int, dict[str, int | None]]]) -> dict[int, dict[str, int | None]]:
    return dict(rows)


def test_a_burst_is_whole_in_its_minute_its_hour_and_its_day(tmp_path: Path) -> None:
    store = burst_store(tmp_path)
    minutes = by_end(counts.series(store, "q", SOURCES, 3 * 3600, 60, NOW))
    assert minutes[BURST + 60] == {"opened": 200, "resolved": 0}
    assert minutes[BURST] == {"opened": 0, "resolved": 0}
    assert minutes[BURST + 120] == {"opened": 0, "resolved": 0}
    assert minutes[BURST - 660] == {"opened": 0, "resolved": 3}
    assert max(minutes) == NOW // 60 * 60 + 60  # the running minute is the last row ...
    assert minutes[max(minutes)] == {"opened": 7, "resolved": 0}  # ... and holds its events
    assert all(isinstance(v, int) for row in minutes.values() for v in row.values()
               if v is not None)
    hours = by_end(counts.series(store, "q", SOURCES, 86400, 3600, NOW))
    assert hours[BURST // 3600 * 3600] == {"opened": 0, "resolved": 3}  # 11:00-12:00
    assert hours[BURST // 3600 * 3600 + 3600] == {"opened": 207, "resolved": 0}  # running
    days = by_end(counts.series(store, "q", SOURCES, 7 * 86400, 86400, NOW))
    assert days[NOW // 86400 * 86400 + 86400] == {"opened": 207, "resolved": 3}
    assert counts.totals(list(minutes.items()), SOURCES) == {"opened": 207, "resolved": 3}


def test_the_graph_draws_whole_numbers_per_minute_with_a_labelled_axis(tmp_path: Path) -> None:
    store = burst_store(tmp_path)
    spec = counts.CountGraph(name="q", sources=SOURCES, labels=SOURCES, title="Tickets",
                             what="tickets", span=3 * 3600, per="minute")
    args = counts.graph_args(store, spec, NOW)
    assert args[args.index("--vertical-label") + 1] == "tickets per minute"
    assert args[args.index("--units-exponent") + 1] == "0"
    assert args[args.index("--left-axis-format") + 1] == "%.0lf"
    grid, _labels = args[args.index("--y-grid") + 1].split(":")
    assert int(grid) >= 1  # grid lines on whole numbers only
    assert int(args[args.index("--upper-limit") + 1]) >= 200
    assert int(args[args.index("--end") + 1]) == NOW // 60 * 60 + 60  # the running minute
    assert any(a.startswith("GPRINT:") and "%.0lf per minute" in a for a in args)
    assert "COMMENT:207 in all\\:" in args and "COMMENT:3 in all\\:" in args
    defs = [a for a in args if a.startswith("DEF:")]
    assert defs and all(a.endswith(":AVERAGE:step=60") for a in defs)
    image = counts.graph(store, spec, NOW)
    assert image.startswith(b"\x89PNG")
    hourly = counts.graph_args(store, counts.CountGraph(
        name="q", sources=SOURCES, labels=SOURCES, title="Tickets", what="tickets",
        span=86400, per="hour"), NOW)
    assert hourly[hourly.index("--vertical-label") + 1] == "tickets per hour"
    assert all(a.endswith(":step=3600") for a in hourly if a.startswith("DEF:"))
    # What the graph draws, read back by rrdtool itself with the same definitions.
    exports = [f"XPORT:c{i}:{s}" for i, s in enumerate(SOURCES)]
    drawn = rrdtool.xport("--start", str(NOW - 3600), "--end", str(NOW // 60 * 60 + 60),
                          "--step", "60", *defs,
                          *[a for a in args if a.startswith("CDEF:")], *exports)
    values = [row[0] for row in drawn["data"] if row[0]]
    assert values == [200.0, 7.0]


def test_a_graph_made_right_after_events_includes_them(tmp_path: Path) -> None:
    store = MetricStore(tmp_path)
    buffer = counts.CountBuffer(store)
    now = time.time()
    for _ in range(5):
        buffer.add("live", SOURCES, at(now), "opened")
    buffer.flush()
    rows = counts.series(store, "live", SOURCES, 3600, 60)
    assert rows[-1][1]["opened"] == 5  # the minute still running
    assert rows[-1][0] >= now
    hours = counts.series(store, "live", SOURCES, 86400, 3600)
    assert hours[-1][1]["opened"] == 5


def test_late_and_same_second_events_stay_whole(tmp_path: Path) -> None:
    store = MetricStore(tmp_path)
    counts.add(store, "late", SOURCES, BURST + 30, {"opened": 3})
    counts.add(store, "late", SOURCES, BURST + 30, {"opened": 2})  # the same second again
    counts.add(store, "late", SOURCES, BURST + 10, {"resolved": 1})  # older than the file
    rows = by_end(counts.series(store, "late", SOURCES, 3600, 60, BURST + 300))
    assert rows[BURST + 60] == {"opened": 5, "resolved": 1}


def test_y_grid_is_whole_numbers() -> None:
    assert counts.y_grid(0) == (1, 1)
    assert counts.y_grid(3) == (1, 3)
    assert counts.y_grid(7) == (2, 8)
    assert counts.y_grid(200) == (50, 200)
    assert counts.y_grid(201) == (50, 250)


def perf_signal(perfdata: str) -> dict[str, object]:
    from hub.ops.alerts.perfdata import parse_perfdata

    return {"service": "HTTP", "perfdata": parse_perfdata(perfdata),
            "details": {"macros": {"SERVICEPERFDATA": perfdata}}}


def test_seconds_and_bytes_never_share_an_axis(tmp_path: Path) -> None:
    store = MetricStore(tmp_path)
    signal = perf_signal("time=0.5s;1;2;0 size=2048B;;;0 ttfb=120ms users=3")
    assert signal_units(signal) == {"time": "s", "size": "B", "ttfb": "ms", "users": ""}
    values = {str(k): float(v) for k, v in dict(signal["perfdata"]).items()}  # type: ignore[call-overload]
    for minute in range(5):
        store.update("web/HTTP", values, at(BURST + 60 * minute))
    store.record_units("web/HTTP", signal_units(signal))
    assert store.families("web/HTTP") == ["bytes", "seconds", "value"]
    start, end = at(BURST - 600), at(BURST + 600)
    seconds = store.graph_args("web/HTTP", start, end, "HTTP", family="seconds")
    assert seconds[seconds.index("--vertical-label") + 1] == "seconds"
    defs = [a for a in seconds if a.startswith("DEF:")]
    assert sorted(a.split(":")[2] for a in defs) == ["time", "ttfb"]
    assert "CDEF:v1=r1,0.001,*" in seconds or "CDEF:v0=r0,0.001,*" in seconds  # ms -> s
    size = store.graph_args("web/HTTP", start, end, "HTTP", family="bytes")
    assert [a.split(":")[2] for a in size if a.startswith("DEF:")] == ["size"]
    assert size[size.index("--vertical-label") + 1] == "bytes" and "--base" in size
    assert store.graph("web/HTTP", start, end, "HTTP", family="bytes").startswith(b"\x89PNG")
    names, rows = store.fetch("web/HTTP", at(BURST), at(BURST + 240))
    ttfb = [r[names.index("ttfb")] for r in rows if r[names.index("ttfb")] is not None]
    assert ttfb and ttfb[0] == pytest.approx(120.0)  # stored as sent; converted when drawn


def test_graph_routes_choose_a_resolution_and_a_unit(hub: Hub) -> None:
    from hub_support import add_user, make_token

    from hub import create_app
    from hub.ops.reactors import HubRatesReactor, MetricsReactor

    rates = next(r for r in hub.reactors if isinstance(r, HubRatesReactor))
    values = next(r for r in hub.reactors if isinstance(r, MetricsReactor))
    run_once(hub, rates)
    run_once(hub, values)
    add_user(hub, "ops", "staff")
    headers = {"Authorization": f"Bearer {make_token(hub, 'ops')}"}
    client = create_app(hub).test_client()
    fields = json.loads(next(NAGIOS.glob("01-*.json")).read_text())["body_json"]
    sent = client.post("/api/v1/events/nagios", json=fields, headers=headers)
    ticket = sent.get_json()["ticket_id"]
    run_once(hub, rates)
    run_once(hub, values)
    rates.tick(hub)
    for query in ("", "?per=minute", "?hours=48", "?hours=744&per=day"):
        image = client.get(f"/api/v1/metrics/hub.png{query}", headers=headers)
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG"), query
    too_many = client.get("/api/v1/metrics/hub.png?hours=744&per=minute", headers=headers)
    assert too_many.status_code == 400 and "bars" in too_many.get_json()["error"]
    assert client.get("/api/v1/metrics/hub.png?per=week", headers=headers).status_code == 400
    store = hub.services["ops.metrics"]
    rows = counts.series(store, "hub/counts", ("alerts", "tickets", "mails"), 3600, 60)
    assert counts.totals(rows, ("alerts", "tickets", "mails"))["alerts"] == 1
    graph = f"/api/v1/alerts/{ticket}/graph.png"
    assert client.get(graph, headers=headers).status_code == 200  # forced_state: a value
    assert client.get(graph + "?unit=value", headers=headers).status_code == 200
    wrong = client.get(graph + "?unit=seconds", headers=headers)
    assert wrong.status_code == 400 and "value" in wrong.get_json()["error"]
