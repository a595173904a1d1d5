"""Issue benchmark for the mail gateway: 400 messages over 4 SMTP connections.

(a) baseline: the same client against an aiosmtpd server that accepts and discards
    (the cost of SMTP itself on this machine); (b) 250-accepted rate of ``hub serve``'s
    gateway (durable store before each 250); (c) mail-to-ticket rate end to end: from
    the first send until all 400 messages are tickets.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench.common import free_port, table

N_MESSAGES = 400
CONNECTIONS = 4
DOMAIN = "hub.bench"


def _messages(tag: str) -> list[bytes]:
    out = []
    for i in range(N_MESSAGES):
        msg = EmailMessage()
        msg["From"] = f"user{i % 37}@example.com"
        msg["To"] = f"general@{DOMAIN}"
        msg["Subject"] = f"bench {tag} message {i}"
        msg["Message-ID"] = f"<bench-{tag}-{i}@example.com>"
        msg.set_content(f"Message {i} of the mail benchmark.\n" + "Some text. " * 40)
        out.append(msg.as_bytes())
    return out


def _send_all(port: int, messages: list[bytes]) -> tuple[float, int]:
    import smtplib

    failures = [0]
    lock = threading.Lock()

    def worker(chunk: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for raw in chunk:
                try:
                    client.sendmail("bench@example.com", [f"general@{DOMAIN}"], raw)
                except smtplib.SMTPException:
                    with lock:
                        failures[0] += 1

    threads = [threading.Thread(target=worker, args=(messages[i::CONNECTIONS],))
               for i in range(CONNECTIONS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, failures[0]


class _Discard:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def baseline() -> float:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(_Discard(), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        elapsed, _ = _send_all(port, _messages("base"))
    finally:
        controller.stop()
    return N_MESSAGES / elapsed


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("hub serve exited") from None
            time.sleep(0.1)
    raise RuntimeError("hub serve did not start")


def _tickets(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM tickets").fetchone()[0])
    finally:
        conn.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gateway(root: Path) -> tuple[float, float, int, float]:
    data = root / "var"
    data.mkdir()
    env = {**os.environ, "HUB_DATA_DIR": str(data), "HUB_MAIL_DOMAIN": DOMAIN,
           "HUB_ADMIN_PASSWORD": "benchpw12", "HUB_SMARTHOST": "", "HUB_DATABASE_URL": ""}
    http, smtp = free_port(), free_port()
    with open(data / "serve.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--http", f"127.0.0.1:{http}",
             "--smtp", f"127.0.0.1:{smtp}", "--no-scheduler"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_port(smtp, proc)
        before = _tickets(data / "hub.db")
        messages = _messages("hub")
        cpu_before = _cpu_seconds(proc.pid)
        start = time.perf_counter()
        accepted_in, failures = _send_all(smtp, messages)
        deadline = time.time() + 300
        while _tickets(data / "hub.db") - before < N_MESSAGES and time.time() < deadline:
            time.sleep(0.02)
        end_to_end = time.perf_counter() - start
        cpu = _cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        proc.wait(30)
    return N_MESSAGES / accepted_in, N_MESSAGES / end_to_end, failures, cpu * 1000 / N_MESSAGES


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a = baseline()
        b, c, failures, cpu_ms = gateway(Path(tmp))
    print(table(f"mail benchmark ({N_MESSAGES} messages, {CONNECTIONS} SMTP connections)", [
        ("(a) aiosmtpd accept-and-discard", f"{a:,.0f} msg/s", "baseline", ""),
        ("(b) hub gateway, 250 after durable store", f"{b:,.0f} msg/s ({failures} failed)",
         "", "ok" if failures == 0 else "MISSED"),
        ("(c) mail to ticket, end to end", f"{c:,.0f} msg/s ({c / a:.0%} of a)", ">= 200/s",
         "ok" if c >= 200 else "MISSED"),
        ("(d) server CPU per message (all threads)", f"{cpu_ms:.1f} ms", "< 5 ms",
         "ok" if cpu_ms < 5 else "MISSED"),
    ]))


if __name__ == "__main__":
    main()
