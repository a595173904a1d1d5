"""Issue benchmark for the wiki and search: indexing, search latency, rendering.

Data is generated straight through the event store in big batches (one transaction
per batch, projections caught up in the same transaction), as a bulk import would.
Sizes come from BENCH_WIKI_TICKETS (default 100,000), BENCH_WIKI_TOPICS (10,000) and
BENCH_WIKI_QUERIES (300).  Baselines measured in the same run: a SQL ``LIKE`` search of
the tickets read model (what ``GET /api/v1/tickets?q=`` does) and plain Markdown.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, table

N_TICKETS = int(os.environ.get("BENCH_WIKI_TICKETS", "100000"))
N_TOPICS = int(os.environ.get("BENCH_WIKI_TOPICS", "10000"))
N_QUERIES = int(os.environ.get("BENCH_WIKI_QUERIES", "300"))
BATCH = 5000
WORDS = ["disk", "network", "router", "switch", "outage", "latency", "backup", "restore",
         "database", "replica", "certificate", "expiry", "firewall", "kernel", "memory", "cpu",
         "swap", "cluster", "failover", "quorum", "printer", "vpn", "tunnel", "dns", "resolver",
         "cache", "proxy", "balancer", "drain", "ready", "deploy", "rollback", "migration",
         "schema", "index", "vacuum", "archive", "mirror", "raid", "array", "controller",
         "battery", "power", "cooling", "rack", "cable", "fiber", "patch", "ticket", "alert",
         "pager", "escalation"]
QUERIES = ["disk", "network outage", '"backup restore"', "fail*", "queue:general status:open",
           "web:ops runbook", "author:alice", "certificate expiry", "raid", "dns resolver",
           "replica lag", "drain", "kernel memory", "vpn", "cool*"]


# A Zipf-like vocabulary: 3,000 filler words plus the ops words at ranks 10-1,800, so
# query words are neither in every document nor in none (uniform text from 60 words
# would put every word in half of all documents, which no real corpus does).
VOCAB = [f"filler{i}" for i in range(3000)]
for _rank, _word in enumerate(WORDS):
    VOCAB.insert(10 + _rank * 30, _word)
_CUM: list[float] = []
for _rank in range(len(VOCAB)):
    _CUM.append((_CUM[-1] if _CUM else 0.0) + 1.0 / (_rank + 1))


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(VOCAB, cum_weights=_CUM, k=words))


def _hub(root: Path) -> Any:
    from hub.bootstrap import bootstrap
    from hub.config import load_settings
    from hub.setup import initialise

    settings = load_settings(env={"HUB_DATA_DIR": str(root), "HUB_SECRET_KEY": "bench"})
    hub = bootstrap(settings)
    initialise(hub, admin_password="bench-admin-pw")
    return hub


def _append_batches(hub: Any, streams: list[tuple[str, list[Any]]], actor: str) -> None:
    from hub.db import WRITE
    from hub.eventstore import Metadata

    meta = Metadata(actor=actor, source="cli")
    for start in range(0, len(streams), BATCH):
        with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            hub.store.lock_for_append(conn)
            new = []
            for stream_id, events in streams[start:start + BATCH]:
                new.extend(hub.store.append(conn, stream_id, events, 0, meta).events)
            hub.runner.catch_up(conn, new)


def generate(hub: Any, rng: random.Random) -> None:
    import sqlalchemy as sa

    from hub.db import WRITE, sequences
    from hub.eventstore import NewEvent

    tickets = []
    for n in range(1, N_TICKETS + 1):
        events = [NewEvent("TicketCreated", {
            "queue": "General", "subject": _text(rng, 6), "body": _text(rng, 40),
            "content_type": "text/plain", "status": rng.choice(["new", "open", "resolved"]),
            "priority": 0, "due": None, "requestors": [f"user{n % 500}@example.com"],
            "cc": [], "admincc": [], "fields": {}, "owner": None})]
        if n % 5 == 0:
            events.append(NewEvent("TicketCorresponded", {"body": _text(rng, 30)}))
        if n % 10 == 0:
            events.append(NewEvent("TicketCommented", {"body": _text(rng, 20)}))
        tickets.append((f"ticket-{n}", events))
    _append_batches(hub, tickets, "alice")
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        conn.execute(sa.delete(sequences).where(sequences.c.name == "ticket"))
        conn.execute(sa.insert(sequences).values(name="ticket", value=N_TICKETS))
    pages = []
    for n in range(N_TOPICS):
        web = f"Web{n % 20}"
        links = " ".join(f"Topic{rng.randrange(N_TOPICS)}Page" for _ in range(3))
        text = f"# {_text(rng, 4)}\n\n{_text(rng, 150)}\n\nSee {links}.\n"
        pages.append((f"page-{web}.Topic{n}Page", [
            NewEvent("PageCreated", {"web": web, "topic": f"Topic{n}Page", "parent": None}),
            NewEvent("PageRevised", {"revision": 1, "text": text, "author": "alice",
                                     "summary": "", "base_revision": 0})]))
    _append_batches(hub, pages, "alice")


def search_latency(hub: Any, rng: random.Random) -> tuple[float, float, float, float]:
    from hub.actors import Actor
    from hub.search.service import search
    from hub.tickets.queries import TicketFilter, list_tickets

    staff = Actor("alice", "alice@example.com", "staff")
    customer = Actor("user7", "user7@example.com", "customer")
    samples, baseline = [], []
    with hub.engine.connect() as conn:
        search(hub, conn, staff, "warmup")
        for i in range(N_QUERIES):
            q = QUERIES[i % len(QUERIES)]
            viewer = customer if i % 4 == 3 else staff
            start = time.perf_counter()
            search(hub, conn, viewer, q, limit=20)
            samples.append(time.perf_counter() - start)
        for _ in range(min(N_QUERIES, 60)):
            word = rng.choice(WORDS)
            start = time.perf_counter()
            list_tickets(conn, staff, TicketFilter(q=word, limit=20))
            baseline.append(time.perf_counter() - start)
    ms = [s * 1000 for s in samples]
    base = [s * 1000 for s in baseline]
    return percentile(ms, 50), percentile(ms, 99), percentile(base, 50), percentile(base, 99)


def render_times(hub: Any, rng: random.Random) -> tuple[float, float, float, int]:
    import markdown

    from hub.actors import Actor, system_actor
    from hub.wiki import commands as wc
    from hub.wiki.rendering import render_page

    parts = ["%TOC%\n", '%TICKETS{"queue=General status=open limit=20"}%\n',
             '%SEARCH{"disk" web="Web1" limit="10"}%\n', '%INCLUDE{"Web1.Topic1Page"}%\n']
    n = 0
    while sum(map(len, parts)) < 50_000:
        n += 1
        parts.append(f"## Section {n}\n\n{_text(rng, 60)} Topic{rng.randrange(N_TOPICS)}Page "
                     f"and Web2.Topic{rng.randrange(N_TOPICS)}Page with **bold** and `code`.\n\n"
                     f"* item {_text(rng, 5)}\n* item {_text(rng, 5)}\n\n")
    text = "".join(parts)
    hub.bus.handle(wc.SavePage(web="Web1", topic="BigTopic", text=text, base_revision=0),
                   system_actor())
    viewer = Actor("alice", "alice@example.com", "staff")
    samples, plain = [], []
    with hub.engine.connect() as conn:
        start = time.perf_counter()
        render_page(hub, conn, viewer, "Web1", "BigTopic", text)
        cold = time.perf_counter() - start
        for _ in range(15):
            start = time.perf_counter()
            render_page(hub, conn, viewer, "Web1", "BigTopic", text)
            samples.append(time.perf_counter() - start)
    for _ in range(15):
        start = time.perf_counter()
        markdown.markdown(text, extensions=["tables", "fenced_code"])
        plain.append(time.perf_counter() - start)
    return percentile([s * 1000 for s in samples], 50), cold * 1000, percentile(
        [s * 1000 for s in plain], 50), len(text)


def main() -> None:
    from bench.wiki_import import main as import_main  # the import part (own table)
    from bench.wiki_render import main as render_main  # the TML render part (own table)
    from hub.search.indexer import rebuild

    import_main()
    render_main()

    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        hub = _hub(Path(tmp))
        start = time.perf_counter()
        generate(hub, rng)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        docs = rebuild(hub)
        index_s = time.perf_counter() - start
        p50, p99, base50, base99 = search_latency(hub, rng)
        render_ms, cold_ms, plain_ms, size = render_times(hub, rng)
        hub.engine.dispose()
    rate = docs / index_s
    print(table(f"wiki/search benchmark ({N_TICKETS:,} tickets, {N_TOPICS:,} topics; "
                f"generated in {generated:.0f} s)", [
        ("full index rebuild", f"{docs:,} docs in {index_s:.0f} s = {rate:,.0f} docs/s",
         "report", ""),
        ("baseline: SQL LIKE ticket search", f"p50 {base50:.1f} ms, p99 {base99:.1f} ms",
         "baseline", ""),
        (f"search p50 ({N_QUERIES} queries)", f"{p50:.1f} ms", "<= 30 ms",
         "ok" if p50 <= 30 else "MISSED"),
        ("search p99", f"{p99:.1f} ms", "<= 150 ms", "ok" if p99 <= 150 else "MISSED"),
        ("baseline: plain Markdown, same text", f"{plain_ms:.1f} ms", "baseline", ""),
        (f"render {size // 1000} KB topic, first view", f"{cold_ms:.1f} ms", "report", ""),
        (f"render {size // 1000} KB topic with macros",
         f"{render_ms:.1f} ms (Markdown, %TICKETS% cached until a change; %SEARCH%, "
         "%INCLUDE% re-run)", "<= 20 ms", "ok" if render_ms <= 20 else "MISSED"),
    ]))


if __name__ == "__main__":
    main()
