"""``hub serve --workers 2`` on SQLite: several writer processes, one of each service.

A real server with two gunicorn workers takes concurrent ticket creates while one of
its workers is SIGKILLed: no request ever gets a 5xx, every create ends as exactly one
ticket, gunicorn replaces the worker, and the SMTP gateway, scheduler and reactors run
once, in their own children. SIGTERM and SIGINT stop the whole tree.
"""

from __future__ import annotations

import collections
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hub_support import Server, free_port, make_hub, make_token

THREADS = 8
PER_THREAD = 40
DOMAIN = "hub.test"


def children(pid: int) -> dict[int, str]:
    """The child processes of ``pid`` with their command lines."""
    found: dict[int, str] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        for child in Path(f"/proc/{pid}/task/{tid}/children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            found[int(child)] = cmdline.replace(b"\0", b" ").decode()
    return found


def workers(pid: int) -> set[int]:
    return {c for c, cmd in children(pid).items() if " serve " in cmd}


def role(pid: int, name: str) -> list[int]:
    return [c for c, cmd in children(pid).items() if f"hub.cli {name}" in cmd]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    hub = make_hub(tmp_path)
    token = make_token(hub, "admin")
    hub.engine.dispose()
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": DOMAIN, "HUB_DATABASE_URL": "", "HUB_SMARTHOST": ""}
    srv = Server(tmp_path / "var", env)
    srv.start("--workers", "2")
    yield srv, token
    srv.stop()


def test_two_workers_write_sqlite_concurrently_and_survive_a_killed_worker(
        node: tuple[Server, str]) -> None:
    srv, token = node
    assert srv.proc is not None
    master = srv.proc.pid
    first = wait_for(lambda: len(workers(master)) == 2 and workers(master), 30, "2 workers")
    assert len(role(master, "services")) == 1 and len(role(master, "reactors")) == 1
    statuses: collections.Counter[int] = collections.Counter()
    created: dict[str, int] = {}
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def client(n: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for i in range(PER_THREAD):
            subject = f"load {n}-{i}"
            deadline = time.time() + 60
            while True:  # a client that retries with the same key, as the API asks
                try:
                    r = session.post(srv.url + "/api/v1/tickets", timeout=60,
                                     headers={"Idempotency-Key": subject},
                                     json={"queue": "General", "subject": subject})
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    # its worker was killed under it
                    assert time.time() < deadline, subject
                    session = requests.Session()
                    session.headers["Authorization"] = f"Bearer {token}"
                    continue
                with lock:
                    statuses[r.status_code] += 1
                if r.status_code == 201:
                    with lock:
                        created[subject] = r.json()["id"]
                    break
                assert r.status_code < 500 and time.time() < deadline, (r.status_code, r.text)
            done.release()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for _ in range(THREADS * PER_THREAD // 3):
        assert done.acquire(timeout=60)
    victim = sorted(first)[0]
    os.kill(victim, signal.SIGKILL)  # mid-load
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert not [s for s in statuses if s >= 500], statuses
    assert len(created) == THREADS * PER_THREAD
    assert len(set(created.values())) == len(created)  # one ticket per key
    replaced = wait_for(lambda: len(workers(master)) == 2 and workers(master), 30,
                        "a replacement worker")
    assert victim not in replaced and replaced - first
    listed = requests.get(srv.url + "/api/v1/tickets", params={"limit": 1000}, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    by_subject = collections.Counter(t["subject"] for t in listed.json()["tickets"])
    assert {s: by_subject[s] for s in created} == dict.fromkeys(created, 1)
    assert {t["subject"]: t["id"] for t in listed.json()["tickets"]
            if t["subject"] in created} == created
    # The SMTP gateway answers in its own process, once for the node.
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=30) as smtp:
        smtp.sendmail("someone@example.com", [f"general@{DOMAIN}"],
                      b"From: someone@example.com\r\nSubject: by mail to two workers\r\n"
                      b"Message-ID: <workers.1@example.com>\r\n\r\nhello\r\n")

    def mailed() -> list[Any]:
        r = requests.get(srv.url + "/api/v1/tickets", timeout=30,
                         params={"q": "workers"}, headers={"Authorization": f"Bearer {token}"})
        return [t for t in r.json()["tickets"] if t["subject"] == "by mail to two workers"]

    assert len(wait_for(mailed, 30, "the mail's ticket")) == 1
    log = (srv.data_dir / "serve.log").read_text()
    assert log.count("scheduler started") == 1 and log.count("OpsHub SMTP gateway on") == 1
    assert log.count("OpsHub web and API on") == 1
    _stops_on(srv, signal.SIGTERM)


def test_sigint_to_serve_stops_workers_services_and_reactors(node: tuple[Server, str]) -> None:
    _stops_on(node[0], signal.SIGINT)


def _stops_on(srv: Server, sig: signal.Signals) -> None:
    assert srv.proc is not None
    tree = set(wait_for(lambda: len(children(srv.proc.pid)) == 4 and children(srv.proc.pid),
                        30, "workers, services and reactors"))
    srv.proc.send_signal(sig)
    assert srv.proc.wait(30) == 0
    wait_for(lambda: not any(alive(p) for p in tree), 20, "every child to end")
    with socket.socket() as probe:  # nothing listens on the SMTP port any more
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
        probe.bind(("127.0.0.1", srv.smtp_port))


def test_the_node_stops_when_its_services_process_dies(node: tuple[Server, str]) -> None:
    srv, _ = node
    assert srv.proc is not None
    master = srv.proc.pid
    services = wait_for(lambda: role(master, "services"), 30, "the services process")
    tree = set(wait_for(lambda: len(children(master)) == 4 and children(master), 30, "all"))
    os.kill(services[0], signal.SIGKILL)
    assert srv.proc.wait(30) != 0  # no node serving the web without its mail gateway
    wait_for(lambda: not any(alive(p) for p in tree), 20, "every child to end")


def test_serve_fails_at_once_when_the_smtp_port_is_taken(tmp_path: Path) -> None:
    make_hub(tmp_path).engine.dispose()
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "t",
           "HUB_DATABASE_URL": ""}
    http = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-m", "hub.cli", "serve", "--workers", "2", "--http",
             f"127.0.0.1:{http}", "--smtp", f"127.0.0.1:{busy}", "--no-scheduler"],
            env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode != 0
    # One line naming the address and the option, found before anything starts.
    assert f"127.0.0.1:{busy} is already in use" in done.stderr
    assert "--smtp" in done.stderr and "Traceback" not in done.stderr
    assert time.time() - started < 60
    with socket.socket() as probe:  # it never listened for the web
        probe.bind(("127.0.0.1", http))
