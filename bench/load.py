"""Load generation for the benchmarks: keep-alive HTTP clients in their own processes.

Each client is a spawned process with one ``http.client`` keep-alive connection
that sends its own list of requests one after another (a closed loop, as a real
sender does). Processes, not threads, so on a 2-core machine the clients do not
share one GIL with each other; they start, connect and send one warm-up
``GET /healthz`` before a common start signal, so process start-up is never timed.
The rate is all requests over the span from the signal to the last client's
last answer. :class:`RssSampler` sums the resident memory of a process and all
its descendants (the web server, its workers and the reactors' child).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Client, percentile

Request = tuple[str, str, Any]  # method, path, JSON body (or None)


@dataclass(frozen=True)
class Target:
    """One client: the server it talks to and what it sends."""

    port: int
    token: str
    requests: Sequence[Request]
    expect: int = 200  # the status every answer should have


@dataclass(frozen=True)
class LoadResult:
    count: int
    seconds: float
    failures: int
    latencies: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def p(self, pct: float) -> float:
        """A latency percentile in milliseconds."""
        return percentile(self.latencies, pct) * 1000


def _client(target: Target, ready: Any, go: Any, out: Any) -> None:
    client = Client(target.port, target.token)
    client.call("GET", "/healthz")
    ready.release()
    go.wait()
    latencies: list[float] = []
    failures = 0
    for method, path, body in target.requests:
        start = time.perf_counter()
        status, _ = client.call(method, path, body)
        latencies.append(time.perf_counter() - start)
        failures += status != target.expect
    client.close()
    out.put((time.monotonic(), failures, latencies))


def run_load(targets: Sequence[Target]) -> LoadResult:
    """Run every target's requests at once, one process each, and time the whole."""
    ctx = mp.get_context("spawn")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(t, ready, go, out)) for t in targets]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=120):
            raise RuntimeError("a load client did not connect")
    start = time.monotonic()
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    end = max(r[0] for r in results)
    latencies = tuple(x for r in results for x in r[2])
    return LoadResult(len(latencies), end - start, sum(r[1] for r in results), latencies)


def health_load(ports: Sequence[int], token: str, clients: int, total: int) -> LoadResult:
    """``GET /healthz`` from ``clients`` clients spread over ``ports``: the floor."""
    per = total // clients
    return run_load([Target(ports[i % len(ports)], token, [("GET", "/healthz", None)] * per)
                     for i in range(clients)])


def around(floor: Callable[[], LoadResult], measured: Callable[[], LoadResult]
           ) -> tuple[LoadResult, LoadResult]:
    """``(baseline, measured)`` with the baseline taken half before and half after the
    measured load, merged, so a machine getting busier or quieter in between (other
    work on it) tilts the ratio less."""
    before = floor()
    result = measured()
    after = floor()
    merged = LoadResult(before.count + after.count, before.seconds + after.seconds,
                        before.failures + after.failures, before.latencies + after.latencies)
    return merged, result


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def _pss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree_memory(pids: Sequence[int]) -> tuple[int, int]:
    """``(RSS, PSS)`` in bytes of the processes and all their descendants, summed.

    RSS counts pages that forked workers share once per process; PSS divides each
    shared page among its sharers, so its sum is what the tree really occupies.
    """
    seen: set[int] = set()
    todo = list(pids)
    rss = pss = 0
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            pss += _pss(pid)
        except OSError:
            continue
        todo.extend(_children(pid))
    return rss, pss


class RssSampler:
    """The highest summed RSS (and PSS) of a process tree, sampled every 50 ms."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.peak = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        rss, pss = tree_memory(self.pids)
        self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
