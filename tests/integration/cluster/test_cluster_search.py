"""Search on several real ``hub serve`` nodes sharing one PostgreSQL database.

Each node has its own data dir, so its own Whoosh index at its own position
(``search:<node>``).  Words written through any node (ticket subjects and comments)
must be found through every node's ``/api/v1/search`` within seconds, and a node
started later catches up from position 0 and finds all of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from hub_support import Server, add_user, fresh_postgres_db, make_hub, make_token

from hub.actors import Actor
from hub.db import projection_positions
from hub.search import tracking
from hub.search.index import index_of
from hub.search.indexer import SearchIndexer, catch_up
from hub.search.queries import index_health, search
from hub.tickets import commands as tc

FOUND_WITHIN = 10.0  # seconds, per word and node


class Cluster:
    """Nodes on one database; each one a real ``hub serve`` with its own data dir."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.url = fresh_postgres_db()
        self.hub = make_hub(tmp_path / "setup", self.url)
        add_user(self.hub, "alice", "staff")
        self.token = make_token(self.hub, "alice")
        self.nodes: dict[str, Server] = {}

    def env(self, name: str) -> dict[str, str]:
        return {**os.environ, "HUB_DATA_DIR": str(self.tmp_path / name),
                "HUB_DATABASE_URL": self.url, "HUB_NODE_NAME": name,
                "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test"}

    def start(self, name: str) -> Server:
        (self.tmp_path / name).mkdir()
        node = Server(self.tmp_path / name, self.env(name))
        node.start("--no-scheduler")
        self.nodes[name] = node
        return node

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()
        self.hub.engine.dispose()

    def call(self, node: Server, method: str, path: str, **kwargs: object) -> requests.Response:
        response = requests.request(method, f"{node.url}/api/v1{path}", timeout=10,
                                    headers={"Authorization": f"Bearer {self.token}"},
                                    **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, response.text
        return response

    def write_words(self, node: Server, words: list[str], comment_on: int) -> dict[str, int]:
        """Half the words as new tickets' subjects, half as comments on ``comment_on``."""
        where: dict[str, int] = {}
        for n, word in enumerate(words):
            if n % 2 == 0:
                made = self.call(node, "POST", "/tickets",
                                 json={"queue": "General", "subject": f"disk {word} on web1"})
                where[word] = int(made.json()["id"])
            else:
                self.call(node, "POST", f"/tickets/{comment_on}/comment",
                          json={"body": f"seen {word} again"})
                where[word] = comment_on
        return where

    def found(self, node: Server, word: str, ticket: int, within: float) -> float | None:
        """Seconds until ``word`` finds ``ticket`` through ``node`` (None: not in time)."""
        start = time.monotonic()
        while True:
            hits = self.call(node, "GET", "/search", params={"q": word}).json()["hits"]
            if ticket in {h["id"] for h in hits if h["kind"] == "ticket"}:
                return time.monotonic() - start
            if time.monotonic() - start > within:
                return None
            time.sleep(0.2)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    yield made
    made.stop()


def test_words_written_through_any_node_are_found_through_every_node(
        cluster: Cluster) -> None:
    a, b = cluster.start("node-a"), cluster.start("node-b")
    first = int(cluster.call(a, "POST", "/tickets",
                             json={"queue": "General", "subject": "shared ticket"}).json()["id"])
    words = {**cluster.write_words(a, [f"alpha{n}wombat" for n in range(8)], first),
             **cluster.write_words(b, [f"bravo{n}quokka" for n in range(8)], first)}

    missing = [(name, word) for word, ticket in words.items()
               for name, node in (("node-a", a), ("node-b", b))
               if cluster.found(node, word, ticket, FOUND_WITHIN) is None]
    assert missing == []

    with cluster.hub.engine.connect() as conn:
        rows = dict(conn.execute(sa.select(projection_positions.c.name,
                                           projection_positions.c.position)).all())
        head = cluster.hub.store.last_position(conn)
    # Each node's index has its own position, and both reached the head.
    assert rows["search:node-a"] == rows["search:node-b"] == head

    c = cluster.start("node-c")  # a new node: an empty index, at position 0
    late = [(word, cluster.found(c, word, ticket, 30.0)) for word, ticket in words.items()]
    assert [word for word, took in late if took is None] == []

    status = subprocess.run([sys.executable, "-m", "hub.cli", "search", "status"],
                            env=cluster.env("node-c"), capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert f"node node-c: index at position {head} of {head} (up to date)" in status
    assert f"node node-a: index at position {head} of {head}" in status


def test_catch_up_goes_a_batch_at_a_time_and_a_lost_index_starts_again(
        tmp_path: Path) -> None:
    """In-process, on PostgreSQL: the worker's step indexes one batch; progress shows
    as position < head; a deleted index directory is rebuilt from 0 even though the
    node's row says it was at the head."""
    hub = make_hub(tmp_path, fresh_postgres_db())
    try:
        staff = Actor("alice", "alice@example.com", "staff", "api")
        ids = [hub.bus.handle(tc.CreateTicket(queue="General", subject=f"kiwi{n}"),
                              staff)["id"] for n in range(12)]
        indexer = SearchIndexer()
        indexer.batches_per_step = 1
        catch_up(hub, batch=5, max_batches=1)
        health = index_health(hub)
        assert 0 < health["position"] < health["head"]
        while index_health(hub)["position"] < health["head"]:
            indexer.tick(hub)
        with hub.engine.connect() as conn:
            assert tracking.all_nodes(conn) == {hub.settings.node_name: health["head"]}
            assert len(search(hub, conn, staff, "kiwi0")) == 1

        index = index_of(hub)
        index.reset()  # what a deleted index directory leaves: no documents, no file
        assert index_health(hub)["position"] == 0  # the row alone does not skip events
        assert catch_up(hub) >= len(ids)
        with hub.engine.connect() as conn:
            assert {h["id"] for h in search(hub, conn, staff, "kiwi11")} == {ids[-1]}
    finally:
        hub.engine.dispose()
