"""Metrics in RRD files (rrdtool): per host/service values and their PNG graphs.

One RRD file per metric series under ``<data_dir>/rrd``; names are sanitised
to safe file names, so no value from an alert can escape that directory. Beside a
file, ``<name>.units.json`` keeps each data source's unit of measure (Nagios
perfdata ``s``, ``ms``, ``B``, ``%``...): a graph shows one kind of unit only, so
seconds and bytes never share an axis. Event counts (the hub's and the desk's
rates) are kept by :mod:`hub.ops.counts`.
"""

from __future__ import annotations

import datetime as dt
import json
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
# Nagios perfdata units -> (what the axis shows, factor to that base unit).
UNIT_FAMILIES: dict[str, tuple[str, float]] = {
    "s": ("seconds", 1.0), "ms": ("seconds", 1e-3), "us": ("seconds", 1e-6),
    "B": ("bytes", 1.0), "KB": ("bytes", 1024.0), "MB": ("bytes", 1024.0 ** 2),
    "GB": ("bytes", 1024.0 ** 3), "TB": ("bytes", 1024.0 ** 4),
    "%": ("percent", 1.0), "c": ("count", 1.0), "": ("value", 1.0),
}
COLOURS = ("1f5fa8", "a51d2d", "2e7d32", "f0b400", "6a1b9a", "00838f")


def unit_family(uom: str) -> tuple[str, float]:
    """``ms`` -> ``("seconds", 0.001)``; an unknown unit is a plain value."""
    return UNIT_FAMILIES.get(uom) or UNIT_FAMILIES.get(uom.upper()) or ("value", 1.0)


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

    def units_file(self, name: str) -> Path:
        return self.root / f"{safe_name(name)}.units.json"

    def record_units(self, name: str, units: Mapping[str, str]) -> None:
        """Remember each source's unit of measure (a changed unit replaces the old one)."""
        if not units:
            return
        wanted = {ds_name(k): str(v)[:4] for k, v in units.items()}
        with _lock:
            known = self.units(name)
            if all(known.get(k) == v for k, v in wanted.items()):
                return
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.units_file(name)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps({**known, **wanted}, sort_keys=True))
            temporary.replace(path)

    def units(self, name: str) -> dict[str, str]:
        """``{data source: unit}`` as recorded; sources without a unit are plain values."""
        try:
            data = json.loads(self.units_file(name).read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def families(self, name: str) -> list[str]:
        """The kinds of unit the series holds (``seconds``, ``bytes``...), one graph each."""
        units = self.units(name)
        out: list[str] = []
        for source in self.sources(name):
            family = unit_family(units.get(source, ""))[0]
            if family not in out:
                out.append(family)
        return out

    def graph_args(self, name: str, start: dt.datetime, end: dt.datetime, title: str,
                   sources: Sequence[str] | None = None, family: str | None = None,
                   width: int = 600, height: int = 160) -> list[str]:
        """The rrdtool graph command line: the sources of one unit family on one axis,
        converted to its base unit (``ms`` -> seconds) and labelled with it."""
        path = str(self.file(name)).replace(":", "\\:")
        units = self.units(name)
        chosen = [ds_name(s) for s in (sources or self.sources(name))]
        if family is None:
            family = unit_family(units.get(chosen[0], ""))[0] if chosen else "value"
        chosen = [s for s in chosen if unit_family(units.get(s, ""))[0] == family]
        args = ["-", "--imgformat", "PNG", "--start", _ts(start), "--end", _ts(end),
                "--title", title[:100], "--width", str(width), "--height", str(height),
                "--vertical-label", family]
        number = "%.0lf" if family == "count" else "%6.2lf %s"
        if family == "count":
            args += ["--units-exponent", "0", "--left-axis-format", "%.0lf"]
        if family == "bytes":
            args += ["--base", "1024"]
        if family == "percent":
            args += ["--lower-limit", "0", "--units-exponent", "0"]
        for index, ds in enumerate(chosen):
            factor = unit_family(units.get(ds, ""))[1]
            colour = COLOURS[index % len(COLOURS)]
            args += [f"DEF:r{index}={path}:{ds}:AVERAGE", f"CDEF:v{index}=r{index},{factor:.12g},*",
                     f"LINE2:v{index}#{colour}:{ds}", f"VDEF:l{index}=v{index},LAST",
                     f"GPRINT:l{index}:last {number}\\n"]
        return args

    def graph(self, name: str, start: dt.datetime, end: dt.datetime, title: str,
              sources: Sequence[str] | None = None, family: str | None = None,
              width: int = 600, height: int = 160) -> bytes:
        """Draw one unit family of the series as a PNG and return its bytes."""
        args = self.graph_args(name, start, end, title, sources, family, width, height)
        with _lock:
            result = rrdtool.graphv(*args)
        return bytes(result["image"])

    def fetch(self, name: str, start: dt.datetime,
              end: dt.datetime) -> tuple[list[str], list[tuple[float | None, ...]]]:
        (_, _, _), names, rows = rrdtool.fetch(str(self.file(name)), "AVERAGE", "--start",
                                               _ts(start), "--end", _ts(end))
        return list(names), [tuple(r) for r in rows]
