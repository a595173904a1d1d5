"""Helpers shared by the benchmarks: timing, tables, a real server, a keep-alive client."""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def table(title: str, rows: list[tuple[str, str, str, str]]) -> str:
    header = ("measure", "result", "target", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [title, line, " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.append(line)
    return "\n".join(out)


class Client:
    """A minimal keep-alive JSON client, so the load generator costs little CPU."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body)
        self.conn.request(method, path, payload, {**self.headers, **(headers or {})})
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def close(self) -> None:
        self.conn.close()


class ServeProcess:
    """``hub serve`` as ``make run`` starts it, on a scratch data dir."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None,
                 args: Sequence[str] = ("--no-smtp", "--no-scheduler"),
                 serve_env: dict[str, str] | None = None) -> None:
        """``args`` follow ``--http`` on the serve command line (e.g. ``--workers 2``);
        ``serve_env`` is added for the server only, not for :meth:`cli` (a profiler)."""
        self.port = free_port()
        self.data_dir = data_dir
        self.args = tuple(args)
        self.env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_ADMIN_PASSWORD": "benchpw12",
                    **(extra_env or {})}
        self.serve_env = serve_env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=self.env,
                              check=True, capture_output=True, text=True).stdout

    def start(self) -> None:
        log = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--http", f"127.0.0.1:{self.port}",
             *self.args], env={**self.env, **self.serve_env}, stdout=log, stderr=log)
        deadline = time.time() + 120  # a loaded 2-core machine, or a profiler
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000
