"""Subscriptions (events) and the digest reads the mail feature composes from.

The mail itself (``hub mail digest``) is tested with the mail feature; here: who is
due, which changes they may see, and that ``RecordDigestSent`` moves them on.
"""

from __future__ import annotations

from wiki_support import WikiEnv

from hub.accounts.queries import actor_for_name
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.wiki import commands as c
from hub.wiki import queries as q


def _due(hub: Hub) -> tuple[int, list[tuple[str, int]]]:
    with hub.engine.connect() as conn:
        head = hub.store.last_position(conn)
        return head, q.digests_due(conn, head)


def _changes(hub: Hub, user: str, upto: int, head: int) -> list[dict[str, object]]:
    with hub.engine.connect() as conn:
        actor = actor_for_name(conn, user, "test")
        assert actor is not None
        return q.changes_since(conn, actor, upto, head)


def _sent(hub: Hub, user: str, upto: int, count: int) -> None:
    hub.bus.handle(c.RecordDigestSent(username=user, upto=upto, count=count),
                   system_actor("scheduler", "test"), idempotency_key=f"d:{user}:{upto}")


def test_digest_reads_list_viewable_changes_once(hub: Hub) -> None:
    env = WikiEnv(hub)
    env.create("Ops/Before", "made before subscribing")
    assert env.client.post("/api/v1/wiki/Ops/subscription",
                           headers=env.auth("bob")).status_code == 200
    env.put("alice", "Ops/Runbook", "r1", 0, summary="new runbook")
    env.put("alice", "Ops/Private", "p\n   * Set ALLOWTOPICVIEW = alice\n", 0)
    env.put("alice", "Other/Elsewhere", "not subscribed", 0)
    with hub.engine.connect() as conn:
        assert q.subscriptions(conn, "bob") == [("Ops", "")]
    head, due = _due(hub)
    assert [user for user, _ in due] == ["bob"]
    changes = _changes(hub, "bob", due[0][1], head)
    assert changes == [{"web": "Ops", "topic": "Runbook", "revision": 1, "author": "alice",
                        "summary": "new runbook"}]
    _sent(hub, "bob", head, len(changes))
    later, due = _due(hub)  # the WikiDigestSent event itself moved the head on
    assert due == [("bob", head)] and _changes(hub, "bob", head, later) == []
    env.put("alice", "Ops/Runbook", "r2", 1)
    head2, due = _due(hub)
    assert due == [("bob", head)]
    assert [ch["revision"] for ch in _changes(hub, "bob", head, head2)] == [2]
    _sent(hub, "bob", head2, 1)
    assert env.client.delete("/api/v1/wiki/Ops/subscription",
                             headers=env.auth("bob")).get_json() == {
        "web": "Ops", "topic": "", "subscribed": False}
    env.put("alice", "Ops/Runbook", "r3", 2)
    head3, due = _due(hub)
    assert _changes(hub, "bob", head2, head3) == []
