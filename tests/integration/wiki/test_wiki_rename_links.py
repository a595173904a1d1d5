"""Links as data: backlinks, rename with link rewrites, tree, WebChanges."""

from __future__ import annotations

import pytest
from wiki_support import WikiEnv

from hub.bootstrap import Hub


@pytest.fixture
def env(hub: Hub) -> WikiEnv:
    return WikiEnv(hub)


def test_backlinks_track_links_across_webs(env: WikiEnv) -> None:
    env.create("Ops/TargetPage", "t")
    env.create("Ops/RefBare", "see TargetPage")
    env.create("Docs/RefQualified", "see Ops.TargetPage and [[Ops.TargetPage][the target]]")
    env.create("Ops/RefCode", "`TargetPage` in code only")
    env.create("Ops/RefHidden", "TargetPage\n   * Set ALLOWTOPICVIEW = alice\n")
    refs = env.get("bob", "Ops/TargetPage/backlinks").get_json()["backlinks"]
    assert [(r["web"], r["topic"]) for r in refs] == [("Docs", "RefQualified"),
                                                      ("Ops", "RefBare")]
    env.put("alice", "Ops/RefBare", "no link now", 1)
    refs = env.get("alice", "Ops/TargetPage/backlinks").get_json()["backlinks"]
    assert [(r["web"], r["topic"]) for r in refs] == [("Docs", "RefQualified"),
                                                      ("Ops", "RefHidden")]


def test_rename_rewrites_links_as_link_update_revisions(env: WikiEnv) -> None:
    env.create("Ops/OldName", "body of old\n")
    env.put("alice", "Ops/OldName", "body of old, r2\n", 1)
    env.create("Ops/Referrer", "Go to OldName or [[OldName][the old page]].\n`OldName` stays.\n")
    env.create("Docs/Far", "Ops.OldName from afar\n")
    env.create("Ops/Locked", "OldName\n   * Set ALLOWTOPICCHANGE = admin\n")
    response = env.post("alice", "Ops/OldName/rename", {"to": "Ops.NewName"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["topic"], body["revision"], body["text"]) == ("NewName", 2, "body of old, r2\n")
    assert sorted(body["updated"]) == ["Docs.Far", "Ops.Referrer"]
    assert body["not_updated"] == ["Ops.Locked"]
    referrer = env.get("alice", "Ops/Referrer").get_json()
    assert referrer["text"] == ("Go to NewName or [[NewName][the old page]].\n"
                                "`OldName` stays.\n")
    assert (referrer["author"], referrer["summary"]) == ("alice", "link update")
    assert env.get("alice", "Docs/Far").get_json()["text"] == "Ops.NewName from afar\n"
    assert env.get("alice", "Ops/OldName").status_code == 404
    history = env.get("alice", "Ops/NewName/history").get_json()["revisions"]
    assert [h["revision"] for h in history] == [2, 1]  # history follows the topic
    refs = env.get("alice", "Ops/NewName/backlinks").get_json()["backlinks"]
    assert {(r["web"], r["topic"]) for r in refs} == {("Ops", "Referrer"), ("Docs", "Far")}
    assert env.post("alice", "Ops/Referrer/rename", {"to": "NewName"}).status_code == 409
    recreated = env.put("alice", "Ops/OldName", "fresh\n", 0)
    assert recreated.status_code == 201 and recreated.get_json()["revision"] == 1


def test_parent_tree_breadcrumbs_and_web_changes(env: WikiEnv) -> None:
    env.create("Kb/WebHome", "# Knowledge")
    env.put("alice", "Kb/Network", "# Network", 0, parent="WebHome")
    env.put("alice", "Kb/Dns", "# DNS", 0, parent="Kb.Network")
    env.put("alice", "Kb/Cycle", "# Cycle", 0, parent="Kb.Cycle")
    tree = env.get("bob", "Kb/Dns/tree").get_json()
    assert [b["topic"] for b in tree["breadcrumbs"]] == ["WebHome", "Network"]
    assert [c["topic"] for c in env.get("bob", "Kb/Network/tree").get_json()["children"]] == [
        "Dns"]
    assert env.get("bob", "Kb/Cycle/tree").get_json()["breadcrumbs"] == []
    changes = env.get("bob", "Kb/changes?limit=3").get_json()["changes"]
    assert [c["topic"] for c in changes] == ["Cycle", "Dns", "Network"]
    assert env.put("alice", "Kb/Bad", "x", 0, parent="not a topic!").status_code == 422
