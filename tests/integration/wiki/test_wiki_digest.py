"""Subscriptions (events) and the digest job: composed mail, spooled, sent once."""

from __future__ import annotations

from email import message_from_bytes, policy

from wiki_support import WikiEnv

from hub.bootstrap import Hub
from hub.wiki.digest import send_digests


def test_digest_lists_viewable_changes_once(hub: Hub) -> None:
    env = WikiEnv(hub)
    env.create("Ops/Before", "made before subscribing")
    assert env.client.post("/api/v1/wiki/Ops/subscription",
                           headers=env.auth("bob")).status_code == 200
    env.put("alice", "Ops/Runbook", "r1", 0, summary="new runbook")
    env.put("alice", "Ops/Private", "p\n   * Set ALLOWTOPICVIEW = alice\n", 0)
    env.put("alice", "Other/Elsewhere", "not subscribed", 0)
    assert send_digests(hub) == 1
    spool = hub.settings.data_dir / "outbox" / "wiki"
    files = list(spool.glob("*.eml"))
    assert len(files) == 1
    mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    body = mail.get_body().get_content()  # type: ignore[union-attr]
    assert mail["To"] == "bob@example.com" and mail["Auto-Submitted"] == "auto-generated"
    assert "Ops.Runbook r1 by alice: new runbook" in body
    assert "Private" not in body and "Before" not in body and "Elsewhere" not in body
    assert send_digests(hub) == 0  # nothing new
    env.put("alice", "Ops/Runbook", "r2", 1)
    assert send_digests(hub) == 1
    assert env.client.delete("/api/v1/wiki/Ops/subscription",
                             headers=env.auth("bob")).get_json() == {
        "web": "Ops", "topic": "", "subscribed": False}
    env.put("alice", "Ops/Runbook", "r3", 2)
    assert send_digests(hub) == 0
