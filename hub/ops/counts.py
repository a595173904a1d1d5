"""Counts of events (tickets opened, alerts, mails) in RRD files, read back honestly.

A data source is ABSOLUTE with a one-minute step: an update carries the number of
events since the previous update, and RRD spreads that number evenly over the
interval between the two. So the events of second ``s`` are written at ``s + 1``
right after an update at ``s`` (a zero one if need be): their interval is that one
second, and the whole count lands in the minute it happened in, never split into
fractions across two minutes. Events
of one second are written as one update (:class:`CountBuffer`); quiet gaps are
filled with zeros so quiet time reads as 0, not as unknown.

Reading takes three resolutions, each with its own unit: per minute, per hour and
per day (``value * step`` of the consolidated rate is the whole number of events in
that step). RRD keeps the running step only in the file's scratch area, so reads
add it (:func:`running_counts`): a graph drawn right after an event shows it.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rrdtool

from hub.ops.metrics import COLOURS, RRAS, MetricStore, ds_name

STEP = 60
PER = {"minute": 60, "hour": 3600, "day": 86400}
MAX_FILL = 2 * 24 * 3600 // STEP  # zero points written at most, covering two days
GRID_STEPS = (1, 2, 5)
_lock = threading.Lock()


def _epoch(at: dt.datetime | int | float) -> int:
    if isinstance(at, int | float):
        return int(at)
    return int((at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp())


def ensure(store: MetricStore, name: str, sources: Sequence[str], at: int) -> Path:
    """The series' file; a new one starts at the beginning of ``at``'s UTC day, so the
    first day's hours and the day itself are whole (zeros before the first event)."""
    path = store.file(name)
    if not path.exists():
        store.root.mkdir(parents=True, exist_ok=True)
        begin = at // 86400 * 86400 - STEP
        ds = [f"DS:{ds_name(s)}:ABSOLUTE:{STEP * 3}:U:U" for s in sources]
        with _lock:
            if not path.exists():
                rrdtool.create(str(path), "--step", str(STEP), "--start", str(begin), *ds,
                               *RRAS)
    return path


def _zeros(last: int, until: int, width: int) -> list[str]:
    """Zero points every step after ``last`` and before ``until`` (bounded)."""
    points: list[str] = []
    filler = last + STEP
    while filler < until and len(points) < MAX_FILL:
        points.append(f"{filler}:" + ":".join(["0"] * width))
        filler += STEP
    return points


def add(store: MetricStore, name: str, sources: Sequence[str], at: int,
        counts: Mapping[str, int]) -> None:
    """Count ``counts`` events of second ``at``, whole, in the minute of ``at``.

    The update is written at the end of that second (``at + 1``), so an event at
    12:00:00 counts in the minute 12:00, as people read it. A second the file has
    passed already (a late event) is counted in the second after its last update:
    still whole, at most a few seconds late.
    """
    path = ensure(store, name, sources, at)
    with _lock:
        last = int(rrdtool.last(str(path)))
        when = at + 1 if at + 1 > last else last + 1
        points = _zeros(last, when - 1, len(sources))
        if when - 1 > last:
            points.append(f"{when - 1}:" + ":".join(["0"] * len(sources)))
        points.append(f"{when}:" + ":".join(str(int(counts.get(s, 0))) for s in sources))
        rrdtool.update(str(path), "--template", ":".join(ds_name(s) for s in sources),
                       *points)


def fill(store: MetricStore, name: str, until: int) -> None:
    """Zeros up to ``until``: the past of a quiet series reads 0 in every resolution."""
    path = store.file(name)
    if not path.exists():
        return
    with _lock:
        last = int(rrdtool.last(str(path)))
        width = len({k.split("[")[1].split("]")[0] for k in rrdtool.info(str(path))
                     if k.startswith("ds[")})
        points = _zeros(last, until + 1, width)
        if points:
            rrdtool.update(str(path), *points)


@dataclass
class CountBuffer:
    """Events of one second gathered into one update per series (RRD takes one update
    per second); :meth:`flush` writes what is gathered. Reactors call :meth:`add` per
    event and flush on their worker's tick, so a count is on disk within a moment."""

    store: MetricStore
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pending: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)

    def add(self, name: str, sources: Sequence[str], at: dt.datetime, source: str) -> None:
        second = _epoch(at)
        self.sources[name] = tuple(sources)
        held = self.pending.get(name)
        if held is not None and held[0] != second:
            self.flush(name)
            held = None
        if held is None:
            held = self.pending[name] = (second, {})
        held[1][source] = held[1].get(source, 0) + 1

    def flush(self, name: str | None = None) -> None:
        """Write the gathered counts; a failed write keeps them for the next flush."""
        for key in [name] if name is not None else list(self.pending):
            held = self.pending.get(key)
            if held is not None:
                add(self.store, key, self.sources[key], held[0], held[1])
                del self.pending[key]


@dataclass(frozen=True)
class Running:
    """What the file holds beyond its consolidated rows, for one resolution ``step``:
    ``counts`` happened in the step ending ``end`` so far; later steps up to ``now_end``
    (the step holding now) saw nothing."""

    step: int
    end: int
    now_end: int
    counts: dict[str, int]


def _number(value: object) -> float:
    """A scratch value as a count: unknown (None, NaN) counts nothing."""
    if not isinstance(value, int | float) or math.isnan(value):
        return 0.0
    return float(value)


def running_counts(path: Path, sources: Sequence[str], step: int, now: int) -> Running:
    """The running step's counts: the scratch value of the current minute plus, for an
    hour or a day, the finished minutes of that hour or day not consolidated yet."""
    info = rrdtool.info(str(path))
    last = int(info["last_update"])
    end = (last // step + 1) * step
    counts = {s: _number(info.get(f"ds[{ds_name(s)}].value")) for s in sources}
    minutes_done = last // STEP * STEP
    if step > STEP and minutes_done > end - step:
        (first, _, res), names, rows = rrdtool.fetch(
            str(path), "AVERAGE", "--resolution", str(STEP), "--start", str(end - step),
            "--end", str(minutes_done))
        for index, row in enumerate(rows):
            stamp = first + (index + 1) * res
            if not end - step < stamp <= minutes_done or res != STEP:
                continue
            for name, value in zip(names, row, strict=True):
                if value is not None:
                    source = next((s for s in sources if ds_name(s) == name), None)
                    if source is not None:
                        counts[source] += value * STEP
    return Running(step, end, (now // step + 1) * step, {k: round(v) for k, v in counts.items()})


def _defs(path: Path, sources: Sequence[str], step: int, now: int) -> list[str]:
    """DEF/CDEF pairs ``c<i>`` = events per ``step``, the running step included."""
    ref = str(path).replace(":", "\\:")
    running = running_counts(path, sources, step, now)
    out: list[str] = []
    for index, source in enumerate(sources):
        ds = ds_name(source)
        out += [f"DEF:r{index}={ref}:{ds}:AVERAGE:step={step}",
                f"CDEF:c{index}=TIME,{running.end},LT,r{index},{step},*,"
                f"TIME,{running.now_end},GT,UNKN,TIME,{running.end},EQ,"
                f"{running.counts[source]},0,IF,IF,IF"]
    return out


def window(span: int, step: int, now: int) -> tuple[int, int]:
    """``(start, end)``: whole steps ending with the one that holds ``now``."""
    end = (now // step + 1) * step
    return end - (span // step) * step, end


def series(store: MetricStore, name: str, sources: Sequence[str], span: int, step: int,
           now: int | None = None) -> list[tuple[int, dict[str, int | None]]]:
    """``[(step end, {source: events in that step or None})]`` over the last ``span``
    seconds, with exactly the definitions the graph draws."""
    path = store.file(name)
    now = int(time.time()) if now is None else now
    if not path.exists():
        return []
    start, end = window(span, step, now)
    exports = [f"XPORT:c{i}:{ds_name(s)}" for i, s in enumerate(sources)]
    with _lock:
        result = rrdtool.xport("--start", str(start), "--end", str(end), "--step", str(step),
                               *_defs(path, sources, step, now), *exports)
    meta = result["meta"]
    out: list[tuple[int, dict[str, int | None]]] = []
    for index, row in enumerate(result["data"]):
        stamp = int(meta["start"]) + (index + 1) * int(meta["step"])
        out.append((stamp, {s: None if v is None or math.isnan(v) else round(v)
                            for s, v in zip(sources, row, strict=True)}))
    return out


def totals(rows: Sequence[tuple[int, Mapping[str, int | None]]],
           sources: Sequence[str]) -> dict[str, int]:
    return {s: sum(r.get(s) or 0 for _, r in rows) for s in sources}


def y_grid(peak: int) -> tuple[int, int]:
    """``(grid step, upper limit)``: whole-number grid lines, at most about six."""
    magnitude = 1
    while True:
        for base in GRID_STEPS:
            grid = base * magnitude
            if peak <= grid * 6:
                return grid, max(grid, math.ceil(peak / grid) * grid)
        magnitude *= 10


@dataclass(frozen=True)
class CountGraph:
    """What to draw: ``what`` names the things counted (the axis says "<what> per <per>")."""

    name: str
    sources: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    what: str
    span: int
    per: str
    width: int = 640
    height: int = 180


def graph_args(store: MetricStore, spec: CountGraph, now: int | None = None) -> list[str]:
    """The rrdtool command line: one resolution, whole numbers, labelled units."""
    now = int(time.time()) if now is None else now
    step = PER[spec.per]
    rows = series(store, spec.name, spec.sources, spec.span, step, now)
    peak = max((v or 0 for _, r in rows for v in r.values()), default=0)
    grid, upper = y_grid(peak)
    start, end = window(spec.span, step, now)
    sums = totals(rows, spec.sources)
    args = ["-", "--imgformat", "PNG", "--start", str(start), "--end", str(end),
            "--title", spec.title[:100], "--vertical-label", f"{spec.what} per {spec.per}",
            "--width", str(max(spec.width, (end - start) // step)), "--height",
            str(spec.height), "--lower-limit", "0", "--upper-limit", str(upper), "--rigid",
            "--units-exponent", "0", "--left-axis-format", "%.0lf", "--y-grid", f"{grid}:1",
            *_defs(store.file(spec.name), spec.sources, step, now)]
    for index, label in enumerate(spec.labels):
        colour = COLOURS[index % len(COLOURS)]
        draw = "AREA" if index == 0 else "LINE2"
        args += [f"{draw}:c{index}#{colour}:{label}", f"VDEF:m{index}=c{index},MAXIMUM",
                 f"COMMENT:{sums[spec.sources[index]]} in all\\:",
                 f"GPRINT:m{index}:at most %.0lf per {spec.per}\\n"]
    args.append(f"COMMENT:The last {spec.per} is still running\\: counted so far.\\n")
    return args


def graph(store: MetricStore, spec: CountGraph, now: int | None = None) -> bytes:
    """A PNG of the series; an empty one (axes only) before the first event."""
    ensure(store, spec.name, spec.sources, int(time.time()) if now is None else now)
    args = graph_args(store, spec, now)
    with _lock:
        result = rrdtool.graphv(*args)
    return bytes(result["image"])
