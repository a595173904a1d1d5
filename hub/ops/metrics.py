"""Metrics in RRD files (rrdtool): per host/service values, hub rates, PNG graphs.

One RRD file per metric series under ``<data_dir>/rrd``; names are sanitised
to safe file names, so no value from an alert can escape that directory.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import rrdtool

SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
DS_NAME = re.compile(r"[^A-Za-z0-9_]")
# 1-minute points for 2 days, 5-minute for 2 weeks, 1-hour for 13 months.
RRAS = ("RRA:AVERAGE:0.5:1:2880", "RRA:AVERAGE:0.5:5:4032", "RRA:AVERAGE:0.5:60:9504",
        "RRA:MAX:0.5:60:9504")
_lock = threading.Lock()


def safe_name(*parts: str) -> str:
    return "__".join(SAFE.sub("_", p).strip("._") or "_" for p in parts)[:200]


def ds_name(label: str) -> str:
    """RRD data-source names: 1-19 characters of [A-Za-z0-9_]."""
    return (DS_NAME.sub("_", label) or "value")[:19]


def _ts(at: dt.datetime | None) -> str:
    if at is None:
        return "N"
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return str(int(at.timestamp()))


class MetricStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, name: str) -> Path:
        return self.root / f"{safe_name(name)}.rrd"

    def ensure(self, name: str, sources: Sequence[str], kind: str = "GAUGE",
               step: int = 60, start: dt.datetime | None = None) -> Path:
        path = self.file(name)
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            begin = str(int((start or dt.datetime.now(dt.UTC)).timestamp()) - step)
            ds = [f"DS:{ds_name(s)}:{kind}:{step * 3}:U:U" for s in sources]
            with _lock:
                if not path.exists():
                    rrdtool.create(str(path), "--step", str(step), "--start", begin, *ds, *RRAS)
        return path

    def sources(self, name: str) -> list[str]:
        info = rrdtool.info(str(self.file(name)))
        return sorted({k.split("[")[1].split("]")[0] for k in info if k.startswith("ds[")})

    def update(self, name: str, values: Mapping[str, float], at: dt.datetime | None = None,
               kind: str = "GAUGE") -> None:
        """Record values; a time at or before the file's last update is ignored."""
        path = self.ensure(name, list(values), kind, start=at)
        known = set(self.sources(name))
        pairs = [(ds_name(k), v) for k, v in values.items() if ds_name(k) in known]
        if not pairs:
            return
        template = ":".join(k for k, _ in pairs)
        value = ":".join([_ts(at), *(repr(float(v)) for _, v in pairs)])
        try:
            with _lock:
                rrdtool.update(str(path), "--template", template, value)
        except rrdtool.OperationalError as exc:
            if "minimum one second step" in str(exc) or "illegal attempt" in str(exc):
                return
            raise

    def graph(self, name: str, start: dt.datetime, end: dt.datetime, title: str,
              sources: Sequence[str] | None = None, width: int = 600,
              height: int = 160) -> bytes:
        """Draw the series as a PNG and return its bytes."""
        path = self.file(name)
        chosen = list(sources or self.sources(name))
        colours = ("1f5fa8", "a51d2d", "2e7d32", "f0b400", "6a1b9a", "00838f")
        args = ["-", "--imgformat", "PNG", "--start", _ts(start), "--end", _ts(end),
                "--title", title[:100], "--width", str(width), "--height", str(height)]
        for index, source in enumerate(chosen):
            ds = ds_name(source)
            colour = colours[index % len(colours)]
            args += [f"DEF:v{index}={path}:{ds}:AVERAGE", f"LINE2:v{index}#{colour}:{ds}"]
        with _lock:
            result = rrdtool.graphv(*args)
        return bytes(result["image"])

    def fetch(self, name: str, start: dt.datetime,
              end: dt.datetime) -> tuple[list[str], list[tuple[float | None, ...]]]:
        (_, _, _), names, rows = rrdtool.fetch(str(self.file(name)), "AVERAGE", "--start",
                                               _ts(start), "--end", _ts(end))
        return list(names), [tuple(r) for r in rows]
