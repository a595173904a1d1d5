"""Where a request's time goes: the hot paths of one ``hub serve`` node under cProfile.

``python -m bench hotpaths`` starts a node on SQLite per path with
``bench/profiling`` on ``PYTHONPATH`` (its ``sitecustomize`` profiles every thread
of the server, its web workers and its children), sends SIGURG to all of them
once the node answers (start-up is not counted), runs the load, stops the node and
prints, per path, the hub's functions with the most cumulative CPU time per
request in the web process (master and workers together) and in the reactors'.
Profiling slows everything by a similar factor; compare paths and before/after,
not absolute numbers with the unprofiled bench.

Paths: ``GET /healthz`` (the floor), ``POST /api/v1/tickets`` from 4 clients and
the Nagios alert storm of ``bench.cluster`` (2,000 notifications, 8 senders).
``BENCH_PROFILE_LINES=N`` shows N more lines per process; ``BENCH_PROFILE_KEEP=DIR``
keeps the ``.prof`` files (``python -m pstats DIR/prof-1/serve-*.prof``).
"""

from __future__ import annotations

import os
import pstats
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.cluster import CLIENTS, CREATES, creates, nodes, storm
from bench.common import ServeProcess
from bench.load import LoadResult, _children, health_load

HERE = Path(__file__).resolve().parent
Load = Callable[[list[ServeProcess], str], LoadResult]


def _profiled_env(out: Path) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": f"{HERE / 'profiling'}{os.pathsep + path if path else ''}",
            "HUB_PROFILE_DIR": str(out)}


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo.extend(_children(out[-1]))
    return out


def _reset(server: ServeProcess) -> list[int]:
    """Clear every process's profile gathered so far; the processes profiled."""
    assert server.proc is not None
    pids = _tree(server.proc.pid)
    for pid in pids:
        os.kill(pid, signal.SIGURG)
    time.sleep(0.5)
    return pids


def _wait_gone(pids: list[int]) -> None:
    """Profiles are written at exit: wait for every profiled process to end."""
    deadline = time.time() + 60
    while time.time() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)


def _label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if "/hub/" in filename:
        filename = "hub/" + filename.rsplit("/hub/", 1)[1]
    elif "site-packages/" in filename:
        filename = filename.rsplit("site-packages/", 1)[1]
    else:
        filename = Path(filename).name
    return f"{filename}:{line}({name})"


def _top(stats: pstats.Stats, requests: int, lines: int) -> list[str]:
    table = stats.stats  # type: ignore[attr-defined]
    rows = []
    for key, (_, calls, _, cumulative, _) in table.items():
        if "/hub/" not in key[0] or "/hub/cli.py" in key[0]:
            continue
        rows.append((cumulative / requests * 1000, calls / requests, _label(key)))
    rows.sort(reverse=True)
    return [f"  {ms:8.3f} {calls:8.2f}  {label}" for ms, calls, label in rows[:lines]]


def _total_ms(stats: pstats.Stats, requests: int) -> float:
    return float(stats.total_tt) / requests * 1000  # type: ignore[attr-defined]



def profile(name: str, load: Load, root: Path, lines: tuple[int, int],
            keep: Path | None) -> list[str]:
    out = (keep or root) / f"prof-{len(list((keep or root).glob('prof-*')))}"
    out.mkdir(parents=True)
    with nodes(root / f"node-{out.name}", serve_env=_profiled_env(out)) as (servers, token):
        time.sleep(2)  # the reactors' child finishes starting
        pids = _reset(servers[0])
        result = load(servers, token)
    _wait_gone(pids)
    text = [f"{name}: {result.count} requests, {result.rate:,.0f}/s under the profiler"
            f"{f', {result.failures} failed' if result.failures else ''}"]
    for kind, count in (("serve", lines[0]), ("reactors", lines[1])):
        files = sorted(str(p) for p in out.glob(f"{kind}-*.prof"))
        if not files or not count:
            continue
        stats = pstats.Stats(*files)
        text.append(f"  {kind}: {_total_ms(stats, result.count):.2f} ms CPU per request "
                    "(profiled); cumulative ms/request, calls/request, function")
        text += _top(stats, result.count, count)
    return text


def main() -> None:
    more = int(os.environ.get("BENCH_PROFILE_LINES", "0"))
    keep = Path(os.environ["BENCH_PROFILE_KEEP"]) if os.environ.get("BENCH_PROFILE_KEEP") \
        else None
    paths: list[tuple[str, Load, tuple[int, int]]] = [
        ("GET /healthz, 4 clients", lambda s, t: health_load([s[0].port], t, CLIENTS, CREATES),
         (4 + more, more)),
        ("POST /api/v1/tickets, 4 clients", creates, (8 + more, 3 + more)),
        ("POST /api/v1/events/nagios storm, 8 senders", lambda s, t: storm(s[0], t),
         (8 + more, 3 + more)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        report = []
        for name, load, lines in paths:
            report += profile(name, load, Path(tmp), lines, keep)
    print("\n".join(report))


if __name__ == "__main__":
    main()
