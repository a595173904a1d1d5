"""Access control through the API, in TWiki's order, with the hub's defaults.

Design (docs/wiki.md): view denied -> 404 (existence hidden); change/rename denied
for someone who may view -> 403.  Staff may do everything unless a setting says
otherwise; customers only what a setting names them (or their group) for.
"""

from __future__ import annotations

import pytest
from wiki_support import WikiEnv

from hub.actors import Actor
from hub.bootstrap import Hub
from hub.wiki.queries import can_execute, get_page


@pytest.fixture
def env(hub: Hub) -> WikiEnv:
    return WikiEnv(hub)


def prefs(*lines: str) -> str:
    return "# Preferences\n\n" + "".join(f"   * Set {line}\n" for line in lines)


def test_staff_default_allow_customer_default_deny(env: WikiEnv) -> None:
    env.create("Open/Page", "hello")
    assert env.get("alice", "Open/Page").status_code == 200
    assert env.put("bob", "Open/Page", "changed", 1).status_code == 200
    assert env.get("carl", "Open/Page").status_code == 404
    assert env.put("carl", "Open/New", "x", 0).status_code == 403


def test_customer_allowed_when_web_names_them_or_their_group(env: WikiEnv) -> None:
    env.create("Help/WebPreferences", prefs("ALLOWWEBVIEW = carl, StaffGroup"))
    env.create("Help/Faq", "answers")
    assert env.get("carl", "Help/Faq").status_code == 200
    assert env.get("dora", "Help/Faq").status_code == 404
    assert env.get("alice", "Help/Faq").status_code == 200  # StaffGroup
    assert env.put("carl", "Help/Faq", "mine", 1).status_code == 403  # view is not change
    env.create("Help2/WebPreferences", prefs("ALLOWWEBVIEW = CustomerGroup"))
    env.create("Help2/Faq", "answers")
    assert env.get("dora", "Help2/Faq").status_code == 200


def test_topic_deny_beats_web_allow_and_topic_allow_beats_web_deny(env: WikiEnv) -> None:
    env.create("Acl/WebPreferences", prefs("DENYWEBVIEW = bob", "ALLOWWEBCHANGE = alice"))
    env.create("Acl/Secret", "s\n" + prefs("DENYTOPICVIEW = alice"))
    env.create("Acl/ForBob", "b\n" + prefs("ALLOWTOPICVIEW = bob"))
    env.create("Acl/Plain", "p")
    assert env.get("alice", "Acl/Secret").status_code == 404  # DENYTOPIC first
    assert env.get("bob", "Acl/ForBob").status_code == 200  # ALLOWTOPIC before DENYWEB
    assert env.get("bob", "Acl/Plain").status_code == 404  # DENYWEB
    assert env.put("alice", "Acl/Plain", "p2", 1).status_code == 200
    assert env.get("admin", "Acl/Secret").status_code == 200  # admins bypass


def test_empty_deny_topic_setting_allows_everyone_staff(env: WikiEnv) -> None:
    env.create("Lock/WebPreferences", prefs("ALLOWWEBCHANGE = admin"))
    env.create("Lock/Open", "o\n" + prefs("DENYTOPICCHANGE ="))
    env.create("Lock/Closed", "c")
    assert env.put("bob", "Lock/Closed", "c2", 1).status_code == 403
    assert env.put("bob", "Lock/Open", "o2\n" + prefs("DENYTOPICCHANGE ="), 1).status_code == 200


def test_group_topics_grant_membership_including_nested_groups(env: WikiEnv) -> None:
    env.create("Main/OpsGroup", prefs("GROUP = alice, NightGroup"))
    env.create("Main/NightGroup", prefs("GROUP = bob"))
    env.create("Ops/WebPreferences",
               prefs("ALLOWWEBVIEW = OpsGroup", "ALLOWWEBCHANGE = Main.OpsGroup"))
    env.create("Ops/Runbook", "r")
    env.create("Other/WebPreferences", prefs("ALLOWWEBVIEW = NightGroup"))
    env.create("Other/Page", "x")
    assert env.get("alice", "Ops/Runbook").status_code == 200
    assert env.get("bob", "Ops/Runbook").status_code == 200  # via NightGroup in OpsGroup
    assert env.get("alice", "Other/Page").status_code == 404
    assert env.put("bob", "Ops/Runbook", "r2", 1).status_code == 200


def test_change_and_rename_denied_are_403_view_denied_is_404_everywhere(env: WikiEnv) -> None:
    env.create("Guard/Locked",
               "l\n" + prefs("ALLOWTOPICCHANGE = alice", "ALLOWTOPICRENAME = alice"))
    env.create("Guard/Hidden", "h\n" + prefs("ALLOWTOPICVIEW = alice"))
    assert env.put("bob", "Guard/Locked", "x", 1).status_code == 403
    assert env.post("bob", "Guard/Locked/rename", {"to": "Moved"}).status_code == 403
    assert env.post("bob", "Guard/Locked/restore", {"revision": 1}).status_code in (403, 422)
    for path in ("Guard/Hidden", "Guard/Hidden/history", "Guard/Hidden/diff?from=0&to=1",
                 "Guard/Hidden/backlinks", "Guard/Hidden/attachments"):
        assert env.get("bob", path).status_code == 404, path
    assert env.put("bob", "Guard/Hidden", "x", 1).status_code == 404
    assert env.post("bob", "Guard/Hidden/rename", {"to": "Moved"}).status_code == 404


def test_attachments_follow_view_rights(env: WikiEnv) -> None:
    env.create("Files/Shared", "s")
    env.create("Files/Private", "p\n" + prefs("ALLOWTOPICVIEW = alice"))
    for topic in ("Shared", "Private"):
        up = env.client.put(f"/api/v1/wiki/Files/{topic}/attachments/notes.txt",
                            headers={**env.auth("alice"), "Content-Type": "text/plain"},
                            data=b"v1 of notes")
        assert up.status_code == 201
    env.client.put("/api/v1/wiki/Files/Shared/attachments/notes.txt",
                   headers={**env.auth("bob"), "Content-Type": "text/html"},
                   data=b"<script>alert(1)</script>")
    listing = env.get("bob", "Files/Shared/attachments").get_json()["attachments"]
    assert [(a["name"], a["version"], len(a["versions"])) for a in listing] == [("notes.txt", 2, 2)]
    latest = env.get("bob", "Files/Shared/attachments/notes.txt")
    assert latest.data == b"<script>alert(1)</script>"
    assert latest.mimetype == "application/octet-stream"  # never served as HTML
    assert "attachment" in latest.headers["Content-Disposition"]
    assert env.get("bob", "Files/Shared/attachments/notes.txt?version=1").data == b"v1 of notes"
    assert env.get("bob", "Files/Private/attachments/notes.txt").status_code == 404
    assert env.get("alice", "Files/Private/attachments/notes.txt").data == b"v1 of notes"
    bad = env.client.put("/api/v1/wiki/Files/Shared/attachments/..evil",
                         headers=env.auth("alice"), data=b"x")
    assert bad.status_code == 422


def test_execute_and_get_page_for_the_runbook_engine(env: WikiEnv) -> None:
    env.create("Books/WebPreferences", prefs("ALLOWWEBEXECUTE = alice"))
    env.create("Books/Restart", "steps")
    alice = Actor("alice", "alice@example.com", "staff")
    bob = Actor("bob", "bob@example.com", "staff")
    carl = Actor("carl", "carl@example.com", "customer")
    with env.hub.engine.connect() as conn:
        assert can_execute(conn, alice, "Books", "Restart")
        assert not can_execute(conn, bob, "Books", "Restart")
        assert not can_execute(conn, carl, "Books", "Restart")
        assert not can_execute(conn, alice, "Books", "Missing")
        page = get_page(conn, "Books", "Restart")
        assert page is not None and (page["revision"], page["text"]) == (1, "steps")
        assert get_page(conn, "Books", "Missing") is None
