"""Issue benchmark for alert intake: a Nagios notification storm against ``hub serve``.

2,000 notifications for 100 distinct problems (each notified 20 times: the PROBLEM
and 19 re-notifications) from 8 concurrent sender processes with keep-alive
connections. Baseline in the same run: ``GET /healthz`` with the same 8 senders,
i.e. what the HTTP stack alone manages on this machine. Checked afterwards: exactly
100 tickets, every alert's count 20, and a redelivered batch answered ``duplicate``.
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Client, ServeProcess, percentile, table

PROBLEMS = 100
PER_PROBLEM = 20
SENDERS = 8
BASE_TIME = 1_795_646_913


def notification(problem: int, number: int) -> dict[str, str]:
    host = f"web-{problem // 10:02d}"
    return {
        "NOTIFICATIONTYPE": "PROBLEM", "NOTIFICATIONNUMBER": str(number),
        "HOSTNAME": host, "HOSTSTATE": "UP", "SERVICEDESC": f"Check {problem % 10}",
        "SERVICESTATE": "CRITICAL" if number % 5 else "WARNING",
        "SERVICEOUTPUT": f"CRITICAL: check {problem} failed (notification {number})",
        "SERVICEPERFDATA": f"time={number / 10:.1f}s;1;2;0;10",
        "SERVICEPROBLEMID": str(1000 + problem), "LASTSERVICEPROBLEMID": "0",
        "SERVICENOTIFICATIONID": str(problem * 100 + number),
        "TIMET": str(BASE_TIME + number * 60),
    }


def _send(port: int, token: str, problems: list[int], out: Any) -> None:
    client = Client(port, token)
    latencies: list[float] = []
    failures = 0
    for number in range(1, PER_PROBLEM + 1):
        for problem in problems:
            start = time.perf_counter()
            status, _ = client.call("POST", "/api/v1/events/nagios",
                                    notification(problem, number))
            latencies.append(time.perf_counter() - start)
            failures += status != 202
    client.close()
    out.put((latencies, failures))


def _health(port: int, token: str, count: int, out: Any) -> None:
    client = Client(port, token)
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        client.call("GET", "/healthz")
        latencies.append(time.perf_counter() - start)
    client.close()
    out.put((latencies, 0))


def _fan_out(target: Any, args: list[tuple[Any, ...]]) -> tuple[float, list[float], int]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, out)) for a in args]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    latencies = [x for lat, _ in results for x in lat]
    return elapsed, latencies, sum(f for _, f in results)


def _check(server: ServeProcess, token: str) -> tuple[int, bool, int]:
    client = Client(server.port, token)
    _, body = client.call("GET", "/api/v1/alerts?limit=5000")
    rows = body["alerts"]
    tickets = {r["ticket_id"] for r in rows}
    counts_ok = len(rows) == PROBLEMS and all(r["count"] == PER_PROBLEM for r in rows)
    duplicates = 0
    for problem in range(0, PROBLEMS, 5):
        status, answer = client.call("POST", "/api/v1/events/nagios", notification(problem, 7))
        duplicates += status == 202 and answer["action"] == "duplicate"
    _, listing = client.call("GET", "/api/v1/tickets?limit=1")
    client.close()
    return len(tickets) if listing["total"] == len(tickets) else -listing["total"], \
        counts_ok, duplicates


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = ServeProcess(Path(tmp) / "var")
        server.data_dir.mkdir()
        server.cli("init")
        token = server.cli("token", "create", "admin").strip().splitlines()[-1]
        server.start()
        try:
            per = PROBLEMS * PER_PROBLEM // SENDERS
            base_time, base_lat, _ = _fan_out(_health, [(server.port, token, per)] * SENDERS)
            groups = [list(range(i, PROBLEMS, SENDERS)) for i in range(SENDERS)]
            elapsed, latencies, failures = _fan_out(
                _send, [(server.port, token, g) for g in groups])
            tickets, counts_ok, duplicates = _check(server, token)
        finally:
            server.stop()
    total = PROBLEMS * PER_PROBLEM
    rate = total / elapsed
    base_rate = per * SENDERS / base_time
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(table(f"alerts benchmark ({total} Nagios notifications, {PROBLEMS} problems, "
                f"{SENDERS} senders, SQLite)", [
        ("baseline GET /healthz, 8 senders", f"{base_rate:,.0f} req/s "
         f"(p99 {percentile(base_lat, 99) * 1000:.1f} ms)", "baseline", ""),
        ("alerts accepted", f"{rate:,.0f} alerts/s ({failures} failed)", ">= 1,000/s",
         "ok" if rate >= 1000 and failures == 0 else "MISSED"),
        ("tickets opened", str(tickets), f"exactly {PROBLEMS}",
         "ok" if tickets == PROBLEMS else "MISSED"),
        ("alert counts", "all 20" if counts_ok else "WRONG", "every count right",
         "ok" if counts_ok else "MISSED"),
        ("redelivered notifications", f"{duplicates}/20 duplicate", "all duplicate",
         "ok" if duplicates == 20 else "MISSED"),
        ("latency p50 / p99", f"{p50:.1f} ms / {p99:.1f} ms", "p99 < 50 ms",
         "ok" if p99 < 50 else "MISSED"),
    ]))


if __name__ == "__main__":
    main()
