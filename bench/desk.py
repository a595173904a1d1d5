"""Desk pages under a big store: ticket page and queue list latency from ``hub serve``.

Generates ``HUB_BENCH_TICKETS`` tickets (default 100,000; 10 events each) with
bench/generate.py, starts ``hub serve`` (waitress, as ``make run`` does), logs in
once and replays page views on one keep-alive connection. ``/healthz`` on the
same connection is the baseline (framework and socket cost, no rights or SQL).
Set ``HUB_BENCH_DIR`` to keep the generated store between runs.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.common import ServeProcess, percentile, table
from bench.generate import QUEUES, generate, open_hub, size

SAMPLES = int(os.environ.get("HUB_BENCH_SAMPLES", "500"))


class Browser:
    """One keep-alive connection with a session cookie, like a logged-in user's browser."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def get(self, path: str) -> tuple[int, bytes]:
        return self._send("GET", path, None)

    def post(self, path: str, form: dict[str, str]) -> tuple[int, bytes]:
        return self._send("POST", path, urlencode(form))

    def _send(self, method: str, path: str, body: str | None) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read()
        found = re.search(r"hub_session=([^;]+)", response.getheader("Set-Cookie") or "")
        if found:
            self.cookie = f"hub_session={found.group(1)}"
        return response.status, data

    def login(self, user: str, password: str) -> None:
        _, page = self.get("/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        status, _ = self.post("/login", {"username": user, "password": password,
                                         "csrf_token": token.group(1).decode()})
        assert status == 303, status

    def close(self) -> None:
        self.conn.close()


def timed(browser: Browser, paths: list[str]) -> list[float]:
    samples = []
    for path in paths:
        start = time.perf_counter()
        status, _ = browser.get(path)
        samples.append(time.perf_counter() - start)
        assert status == 200, (path, status)
    return samples


def _ms(samples: list[float]) -> tuple[float, float]:
    return percentile(samples, 50) * 1000, percentile(samples, 99) * 1000


def run(data_dir: Path) -> None:
    tickets = size()
    marker = data_dir / f"generated-{tickets}"
    gen_rate = "reused"
    if not marker.exists():
        hub = open_hub(data_dir)
        events, seconds = generate(hub, tickets)
        hub.engine.dispose()
        marker.write_text(str(events))
        gen_rate = f"{events:,} events in {seconds:,.0f} s = {events / seconds:,.0f} events/s"
    server = ServeProcess(data_dir, {"HUB_SECRET_KEY": "bench"})
    server.start()
    try:
        browser = Browser(server.port)
        browser.login("alice", "benchpw12")
        rng = random.Random(7)
        timed(browser, ["/healthz", "/tickets/1", f"/queues/{QUEUES[0]}"] * 5)  # warm up
        base = timed(browser, ["/healthz"] * SAMPLES)
        ticket_paths = [f"/tickets/{rng.randint(1, tickets)}" for _ in range(SAMPLES)]
        orders = ("-id", "-updated", "-priority")
        queue_paths = [f"/queues/{rng.choice(QUEUES)}?order={rng.choice(orders)}"
                       f"&page={rng.randint(1, 20)}&status=" for _ in range(SAMPLES)]
        active_paths = [f"/queues/{rng.choice(QUEUES)}" for _ in range(SAMPLES // 5)]
        page = timed(browser, ticket_paths)
        queue = timed(browser, queue_paths)
        active = timed(browser, active_paths)
        browser.close()
    finally:
        server.stop()
    rows = [("store generator (batch appends + projections)", gen_rate, "report", "")]
    b50, b99 = _ms(base)
    rows.append(("(baseline) GET /healthz", f"p50 {b50:.1f} ms, p99 {b99:.1f} ms", "", ""))
    for label, samples in (("GET /tickets/<id> (10 events)", page),
                           ("GET /queues/<q> all, sorted, paged", queue),
                           ("GET /queues/<q> active (default)", active)):
        p50, p99 = _ms(samples)
        verdict = "ok" if p50 <= 20 and p99 <= 100 else "MISSED"
        rows.append((label, f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", "p50 <= 20, p99 <= 100",
                     verdict))
    print(table(f"desk benchmark ({tickets:,} tickets, {tickets * 10:,} events, "
                "hub serve/waitress, logged-in keep-alive client)", rows))


def main() -> None:
    kept = os.environ.get("HUB_BENCH_DIR")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        run(Path(kept))
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()
