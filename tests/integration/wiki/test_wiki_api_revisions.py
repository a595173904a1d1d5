"""Revisions through the API: create/update codes, stale saves, merges, history, diff."""

from __future__ import annotations

import pytest
from wiki_support import WikiEnv

from hub.bootstrap import Hub

BASE = "line one\nline two\nline three\nline four\nline five\n"


@pytest.fixture
def env(hub: Hub) -> WikiEnv:
    return WikiEnv(hub)


def test_create_is_201_update_200_and_get_has_contract_keys(env: WikiEnv) -> None:
    created = env.put("alice", "Ops/NotesPage", "# Notes\nhello", 0, summary="first")
    assert created.status_code == 201
    assert created.get_json()["revision"] == 1
    updated = env.put("bob", "Ops/NotesPage", "# Notes\nhello again", 1)
    assert updated.status_code == 200
    page = env.get("alice", "Ops/NotesPage").get_json()
    assert {"web", "topic", "revision", "text", "html", "author", "at"} <= set(page)
    assert (page["revision"], page["author"], page["text"]) == (2, "bob", "# Notes\nhello again")
    assert "<h1" in page["html"] and page["at"].endswith("Z")


def test_stale_base_with_clean_merge_offers_merged_text(env: WikiEnv) -> None:
    env.create("Ops/MergeMe", BASE)
    theirs = BASE.replace("line one", "line ONE")
    assert env.put("bob", "Ops/MergeMe", theirs, 1).status_code == 200
    mine = BASE.replace("line five", "line FIVE")
    stale = env.put("alice", "Ops/MergeMe", mine, 1)
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["clean"] is True and body["current_revision"] == 2 and body["base_revision"] == 1
    assert body["merged_text"] == BASE.replace("line one", "line ONE").replace(
        "line five", "line FIVE")
    assert "<<<<<<<" not in body["merged_text"]
    resubmitted = env.put("alice", "Ops/MergeMe", body["merged_text"], body["current_revision"])
    assert resubmitted.status_code == 200 and resubmitted.get_json()["revision"] == 3


def test_merge_true_applies_a_clean_merge_at_once(env: WikiEnv) -> None:
    env.create("Ops/AutoMerge", BASE)
    env.put("bob", "Ops/AutoMerge", BASE + "line six\n", 1)
    response = env.put("alice", "Ops/AutoMerge", "line zero\n" + BASE, 1, merge=True)
    assert response.status_code == 200
    assert response.get_json()["text"] == "line zero\n" + BASE + "line six\n"
    assert response.get_json()["revision"] == 3


def test_overlapping_edits_are_a_conflict_with_markers_even_with_merge_true(
        env: WikiEnv) -> None:
    env.create("Ops/Clash", BASE)
    env.put("bob", "Ops/Clash", BASE.replace("line two", "bob's two"), 1)
    response = env.put("alice", "Ops/Clash", BASE.replace("line two", "alice's two"), 1,
                       merge=True)
    assert response.status_code == 409
    body = response.get_json()
    assert body["clean"] is False and "merged_text" not in body
    assert "<<<<<<< yours\nalice's two\n=======\nbob's two\n>>>>>>> theirs" in body[
        "conflict_text"]
    assert body["conflicts"][0]["yours"] == "alice's two\n"
    assert env.get("alice", "Ops/Clash").get_json()["revision"] == 2


def test_creating_an_existing_topic_is_a_conflict(env: WikiEnv) -> None:
    env.create("Ops/Twice", "first\n")
    response = env.put("alice", "Ops/Twice", "second\n", 0)
    assert response.status_code == 409 and response.get_json()["current_revision"] == 1


def test_conflict_names_other_editors_holding_a_lease(env: WikiEnv) -> None:
    env.create("Ops/Leased", BASE)
    lease = env.post("bob", "Ops/Leased/lease", {})
    assert lease.status_code == 200 and lease.get_json()["editing"] == []
    assert env.post("alice", "Ops/Leased/lease", {}).get_json()["editing"][0]["user"] == "bob"
    env.put("bob", "Ops/Leased", BASE + "x\n", 1)  # bob saves: his lease ends
    env.post("bob", "Ops/Leased/lease", {})
    stale = env.put("alice", "Ops/Leased", "y\n" + BASE, 1)
    assert stale.status_code == 409
    assert [e["user"] for e in stale.get_json()["editing"]] == ["bob"]


@pytest.mark.parametrize("body, status", [
    ({"text": "x"}, 400),
    ({"text": 5, "base_revision": 0}, 400),
    ({"text": "x", "base_revision": True}, 400),
    ({"text": "x", "base_revision": -1}, 400),
    ({"text": "x", "base_revision": 0, "bogus": 1}, 400),
    ({"text": "x", "base_revision": 0, "fields": []}, 400),
    ({"text": "x", "base_revision": 9}, 409),
])
def test_bad_bodies_are_clear_4xx(env: WikiEnv, body: dict[str, object], status: int) -> None:
    response = env.client.put("/api/v1/wiki/Ops/BadBody", headers=env.auth("alice"), json=body)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_non_json_and_bad_names_and_no_token(env: WikiEnv) -> None:
    raw = env.client.put("/api/v1/wiki/Ops/Raw", headers=env.auth("alice"), data="not json")
    assert raw.status_code == 400
    assert env.put("alice", "ops/lowercase", "x", 0).status_code == 422
    assert env.client.get("/api/v1/wiki/Ops/Nothing").status_code == 401
    assert env.get("alice", "Ops/Nothing").status_code == 404


def test_history_diff_restore_and_old_revisions(env: WikiEnv) -> None:
    env.create("Ops/Hist", "alpha\nbeta\n")
    env.put("alice", "Ops/Hist", "alpha\ngamma\n", 1, summary="gamma")
    history = env.get("alice", "Ops/Hist/history").get_json()["revisions"]
    assert [(r["revision"], r["author"], r["summary"]) for r in history] == [
        (2, "alice", "gamma"), (1, "admin", "")]
    diff = env.get("alice", "Ops/Hist/diff?from=1&to=2").get_json()
    assert "-beta" in diff["unified"] and "+gamma" in diff["unified"]
    assert {"kind": "replace", "left": "beta", "right": "gamma", "left_no": 2,
            "right_no": 2} in diff["side_by_side"]
    assert env.get("alice", "Ops/Hist/diff?from=x").status_code == 400
    assert env.get("alice", "Ops/Hist/diff?from=1&to=7").status_code == 404
    old = env.get("alice", "Ops/Hist?rev=1").get_json()
    assert old["revision"] == 1 and old["text"] == "alpha\nbeta\n"
    restored = env.post("alice", "Ops/Hist/restore", {"revision": 1})
    assert restored.status_code == 200
    assert (restored.get_json()["revision"], restored.get_json()["text"]) == (3, "alpha\nbeta\n")
    assert env.post("alice", "Ops/Hist/restore", {"revision": 3}).status_code == 422
    assert env.get("alice", "Ops/Hist/history").get_json()["revisions"][0]["kind"] == "restored"


def test_unchanged_save_records_no_revision_and_idempotency_key(env: WikiEnv) -> None:
    env.create("Ops/Same", "same\n")
    assert env.put("alice", "Ops/Same", "same\n", 1).get_json()["revision"] == 1
    headers = {**env.auth("alice"), "Idempotency-Key": "k1"}
    for _ in range(2):
        response = env.client.put("/api/v1/wiki/Ops/Same", headers=headers,
                                  json={"text": "new\n", "base_revision": 1})
        assert response.status_code == 200
    assert env.get("alice", "Ops/Same").get_json()["revision"] == 2


def test_projection_rebuild_gives_identical_tables(env: WikiEnv) -> None:
    import sqlalchemy as sa

    from hub.db import WRITE
    from hub.wiki.tables import wiki_links, wiki_pages, wiki_revisions

    env.create("Ops/RebuildA", "links to RebuildB\n")
    env.create("Ops/RebuildB", "back to RebuildA\n")
    env.post("alice", "Ops/RebuildB/rename", {"to": "Ops/RebuildC".replace("/", ".")})

    def dump() -> list[object]:
        with env.hub.engine.connect() as conn:
            return [sorted(map(tuple, conn.execute(sa.select(t)).all()), key=repr)
                    for t in (wiki_pages, wiki_revisions, wiki_links)]

    before = dump()
    with env.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        env.hub.runner.rebuild(conn, ["wiki"])
    assert dump() == before
