"""The hub's speed in one table: writes against the same server's HTTP floor.

Every row is measured in this run, next to its baseline measured in this run:

- **ticket create**: ``POST /api/v1/tickets`` from 4 clients on one ``hub serve``
  node on SQLite, against ``GET /healthz`` of the same server from the same 4 clients
  (each baseline is taken half just before and half just after what it is compared
  with, so a machine that gets busier or quieter meanwhile tilts the ratio less);
- **alert storm**: 2,000 Nagios notifications (100 problems, each notified 20
  times) from 8 senders on a fresh node, against ``/healthz`` from 8 senders; p99
  latency, tickets opened (exactly one per problem) and the resident memory of the
  whole hub (the server, its workers and the reactors' child, summed) at its peak;
- **mail to ticket**: 400 messages over 4 SMTP connections, timed from the first
  send until every message is a ticket, against an aiosmtpd server that discards;
- **PostgreSQL**: the ticket-create load on one node and on two nodes sharing one
  database (the 4 clients split between them), each from a new empty database
  (``CREATE DATABASE`` on ``HUB_TEST_POSTGRES_URL``'s server); without that
  variable these rows say they were not measured.

Clients are separate processes with keep-alive ``http.client`` connections
(``bench.load``), connected before a common start signal, so neither process
start-up nor a shared GIL in the load generator is timed. ``BENCH_SERVE_ARGS``
adds arguments to every ``hub serve`` (for instance ``--workers 2``).
"""

from __future__ import annotations

import os
import shlex
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bench import mail
from bench.alerts import PER_PROBLEM, PROBLEMS, notification
from bench.common import Client, ServeProcess
from bench.load import LoadResult, RssSampler, Target, around, health_load, run_load

CREATES = 4000
CLIENTS = 4
SENDERS = 8
MIB = 1024 * 1024
Row = tuple[str, str, str, str, str, str]


def serve_args() -> tuple[str, ...]:
    return ("--no-smtp", "--no-scheduler", *shlex.split(os.environ.get("BENCH_SERVE_ARGS", "")))


@contextmanager
def nodes(root: Path, count: int = 1, database_url: str = "",
          serve_env: dict[str, str] | None = None) -> Iterator[tuple[list[ServeProcess], str]]:
    """``count`` running ``hub serve`` nodes on one database, and an admin token."""
    servers = []
    for i in range(count):
        env = {"HUB_DATABASE_URL": database_url, "HUB_NODE_NAME": f"bench-{i}",
               "HUB_SECRET_KEY": "bench-secret", "HUB_SMARTHOST": ""}
        server = ServeProcess(root / f"node-{i}", env, serve_args(), serve_env)
        server.data_dir.mkdir(parents=True)
        servers.append(server)
    servers[0].cli("init")
    token = servers[0].cli("token", "create", "bench").strip().splitlines()[-1]
    try:
        for server in servers:
            server.start()
        for server in servers:  # answering, not just listening
            client = Client(server.port, token)
            client.call("GET", "/healthz")
            client.close()
        yield servers, token
    finally:
        for server in servers:
            server.stop()


def create_requests(client: int, count: int) -> list[tuple[str, str, object]]:
    return [("POST", "/api/v1/tickets", {
        "queue": "General", "subject": f"bench ticket {client}-{i}",
        "body": "created by the bench", "requestors": [f"bench{client}@example.com"]})
        for i in range(count)]


def creates(servers: Sequence[ServeProcess], token: str) -> LoadResult:
    per = CREATES // CLIENTS
    return run_load([Target(servers[i % len(servers)].port, token, create_requests(i, per), 201)
                     for i in range(CLIENTS)])


def storm_requests(sender: int) -> list[tuple[str, str, object]]:
    problems = range(sender, PROBLEMS, SENDERS)
    return [("POST", "/api/v1/events/nagios", notification(p, n))
            for n in range(1, PER_PROBLEM + 1) for p in problems]


def storm(server: ServeProcess, token: str) -> LoadResult:
    return run_load([Target(server.port, token, storm_requests(s), 202) for s in range(SENDERS)])


def tickets_total(server: ServeProcess, token: str) -> int:
    client = Client(server.port, token)
    _, listing = client.call("GET", "/api/v1/tickets?limit=1")
    client.close()
    return int(listing["total"])


@contextmanager
def fresh_postgres() -> Iterator[str | None]:
    """A new empty database on the test PostgreSQL, dropped afterwards; None without one."""
    base = os.environ.get("HUB_TEST_POSTGRES_URL")
    if not base:
        yield None
        return
    name = f"hub_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def failed(result: LoadResult) -> str:
    return f" ({result.failures} failed)" if result.failures else ""


def sqlite_rows(root: Path) -> tuple[list[Row], LoadResult]:
    with nodes(root / "creates") as (servers, token):
        floor, made = around(
            lambda: health_load([servers[0].port], token, CLIENTS, CREATES // 2),
            lambda: creates(servers, token))
    ratio = made.rate / floor.rate
    return [("ticket create, 4 clients, 1 SQLite node", f"{made.rate:,.0f}/s{failed(made)}",
             f"/healthz {floor.rate:,.0f}/s", f"{ratio:.2f}", ">= 0.5 and >= 1,000/s",
             verdict(ratio >= 0.5 and made.rate >= 1000 and not made.failures))], made


def storm_rows(root: Path) -> list[Row]:
    with nodes(root / "storm") as (servers, token):
        server = servers[0]
        assert server.proc is not None
        with RssSampler([server.proc.pid]) as rss:
            idle = rss.peak
            floor, alerts = around(
                lambda: health_load([server.port], token, SENDERS, PROBLEMS * PER_PROBLEM // 2),
                lambda: storm(server, token))
        opened = tickets_total(server, token)
    ratio = alerts.rate / floor.rate
    return [
        ("alert storm: 2,000 Nagios notifications, 8 senders",
         f"{alerts.rate:,.0f}/s{failed(alerts)}", f"/healthz {floor.rate:,.0f}/s",
         f"{ratio:.2f}", ">= 0.5", verdict(ratio >= 0.5 and not alerts.failures)),
        ("alert storm: p99 latency", f"{alerts.p(99):.1f} ms (p50 {alerts.p(50):.1f})",
         f"/healthz p99 {floor.p(99):.1f} ms", "", "<= 50 ms", verdict(alerts.p(99) <= 50)),
        ("alert storm: tickets opened", str(opened), "", "", f"exactly {PROBLEMS}",
         verdict(opened == PROBLEMS)),
        ("alert storm: RSS of all hub processes (peak)",
         f"{rss.peak / MIB:,.0f} MiB (PSS {rss.peak_pss / MIB:,.0f} MiB)",
         f"idle {idle / MIB:,.0f} MiB", "", "<= 300 MiB", verdict(rss.peak <= 300 * MIB)),
    ]


def mail_rows(root: Path) -> list[Row]:
    floor = mail.baseline()
    (root / "mail").mkdir()
    _, end_to_end, failures, _ = mail.gateway(root / "mail")
    note = f" ({failures} refused)" if failures else ""
    return [(f"mail to ticket, end to end, {mail.N_MESSAGES} over {mail.CONNECTIONS} SMTP",
             f"{end_to_end:,.0f}/s{note}", f"aiosmtpd discard {floor:,.0f}/s",
             f"{end_to_end / floor:.2f}", ">= 400/s",
             verdict(end_to_end >= 400 and not failures))]


def postgres_rows(root: Path, sqlite: LoadResult) -> list[Row]:
    with fresh_postgres() as url:
        if url is None:
            missing = "not measured: HUB_TEST_POSTGRES_URL is not set"
            return [("two PostgreSQL nodes vs one SQLite node", missing, "", "", ">= 1.0x",
                     "n/a"),
                    ("two PostgreSQL nodes vs one PostgreSQL node", missing, "", "",
                     ">= 1.5x", "n/a")]
        with nodes(root / "pg-one", 1, url) as (servers, token):
            one = creates(servers, token)
    with fresh_postgres() as url:
        assert url is not None
        with nodes(root / "pg-two", 2, url) as (servers, token):
            two = creates(servers, token)
    to_sqlite, to_one = two.rate / sqlite.rate, two.rate / one.rate
    return [
        ("ticket create, 2 PostgreSQL nodes vs 1 SQLite", f"{two.rate:,.0f}/s{failed(two)}",
         f"1 SQLite node {sqlite.rate:,.0f}/s", f"{to_sqlite:.2f}x", ">= 1.0x",
         verdict(to_sqlite >= 1.0 and not two.failures)),
        ("ticket create, 2 PostgreSQL nodes vs 1 PostgreSQL", f"{two.rate:,.0f}/s",
         f"1 PostgreSQL node {one.rate:,.0f}/s{failed(one)}", f"{to_one:.2f}x", ">= 1.5x",
         verdict(to_one >= 1.5 and not two.failures)),
    ]


def grid(title: str, rows: Sequence[Row]) -> str:
    header: Row = ("measure", "result", "baseline (same run)", "ratio", "target", "verdict")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [title, line, " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.append(line)
    return "\n".join(out)


def main() -> None:
    load_before = os.getloadavg()[0]  # other work on the machine skews every row
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows, sqlite = sqlite_rows(root)
        rows += storm_rows(root)
        rows += mail_rows(root)
        rows += postgres_rows(root, sqlite)
    extra = os.environ.get("BENCH_SERVE_ARGS", "")
    print(grid(f"OpsHub speed ({os.cpu_count()} cores, load average {load_before:.1f} before "
               f"and {os.getloadavg()[0]:.1f} after; hub serve {extra or 'defaults'}; "
               "clients: keep-alive processes)", rows))


if __name__ == "__main__":
    main()
