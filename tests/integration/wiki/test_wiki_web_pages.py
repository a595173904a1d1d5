"""The server-rendered wiki: view, edit with CSRF and merge, history, forms, files."""

from __future__ import annotations

import io

import pytest
from wiki_support import WikiEnv, csrf_token

from hub.bootstrap import Hub

FORM = """# Incident form

| *Name* | *Type* | *Size* | *Values* | *Tooltip* | *Attributes* |
| Severity | select | 1 | low, medium, high | how bad | M |
| Service | text | 30 | | affected service | |
"""


@pytest.fixture
def env(hub: Hub) -> WikiEnv:
    return WikiEnv(hub)


def test_view_page_has_breadcrumbs_backlinks_and_sanitised_body(env: WikiEnv) -> None:
    env.create("Ops/WebHome", "# Ops\nSee ViewMe")
    env.put("alice", "Ops/ViewMe", "# View me\n<script>alert(1)</script>\n", 0, parent="WebHome")
    browser = env.login("bob")
    page = browser.get("/wiki/Ops/ViewMe")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1 id=\"view-me\">View me</h1>" in html and "<script>alert" not in html
    assert 'href="/wiki/Ops/WebHome"' in html  # breadcrumb and backlink
    assert "Content-Security-Policy" in page.headers
    assert env.login("carl").get("/wiki/Ops/ViewMe").status_code == 404
    assert env.app.test_client().get("/wiki/Ops/ViewMe").status_code == 302  # login first
    missing = browser.get("/wiki/Ops/NotYet")
    assert missing.status_code == 404 and "Create it" in missing.get_data(as_text=True)


def test_edit_form_saves_with_csrf_and_shows_a_merge_on_conflict(env: WikiEnv) -> None:
    env.create("Ops/EditMe", "one\ntwo\nthree\n")
    browser = env.login("alice")
    form = browser.get("/wiki/Ops/EditMe/edit").get_data(as_text=True)
    token = csrf_token(form)
    assert browser.post("/wiki/Ops/EditMe/edit",
                        data={"text": "x", "base_revision": "1"}).status_code == 400  # no CSRF
    other = env.login("bob").get("/wiki/Ops/EditMe/edit").get_data(as_text=True)
    assert "Also being edited by alice" in other
    env.put("bob", "Ops/EditMe", "ONE\ntwo\nthree\n", 1)
    response = browser.post("/wiki/Ops/EditMe/edit", data={
        "csrf_token": token, "text": "one\ntwo\nTHREE\n", "base_revision": "1",
        "summary": "caps"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "were merged" in html
    assert 'name="base_revision" value="2"' in html and "ONE\ntwo\nTHREE" in html
    saved = browser.post("/wiki/Ops/EditMe/edit", data={
        "csrf_token": token, "text": "ONE\ntwo\nTHREE\n", "base_revision": "2"})
    assert saved.status_code == 302
    assert env.get("alice", "Ops/EditMe").get_json()["revision"] == 3
    assert env.login("carl").get("/wiki/Ops/EditMe/edit").status_code == 404


def test_history_diff_restore_pages(env: WikiEnv) -> None:
    env.create("Ops/Hist", "a\n")
    env.put("alice", "Ops/Hist", "b\n", 1)
    browser = env.login("alice")
    history = browser.get("/wiki/Ops/Hist/history").get_data(as_text=True)
    assert "r2" in history and "r1" in history
    diff = browser.get("/wiki/Ops/Hist/diff?from=1&to=2").get_data(as_text=True)
    assert 'class="diff-replace"' in diff
    token = csrf_token(history)
    assert browser.post("/wiki/Ops/Hist/restore",
                        data={"csrf_token": token, "revision": "1"}).status_code == 302
    assert env.get("alice", "Ops/Hist").get_json()["text"] == "a\n"
    changes = browser.get("/wiki/Ops/WebChanges").get_data(as_text=True)
    assert "restored revision 1" in changes


def test_form_fields_are_validated_shown_and_editable(env: WikiEnv) -> None:
    env.create("Inc/WebForm", FORM)
    bad = env.put("alice", "Inc/Outage", "x", 0, fields={"Severity": "apocalyptic"})
    assert bad.status_code == 422 and "Severity must be one of" in bad.get_json()["errors"][0]
    missing = env.put("alice", "Inc/Outage", "x", 0, fields={"Service": "dns"})
    assert missing.status_code == 422 and missing.get_json()["errors"] == ["Severity is required"]
    unknown = env.put("alice", "Inc/Outage", "x", 0, fields={"Severity": "low", "Nope": "1"})
    assert unknown.status_code == 422
    ok = env.put("alice", "Inc/Outage", "x", 0, fields={"Severity": "high", "Service": "dns"})
    assert ok.status_code == 201 and ok.get_json()["fields"] == {"Severity": "high",
                                                                  "Service": "dns"}
    html = env.login("bob").get("/wiki/Inc/Outage").get_data(as_text=True)
    assert "<th scope=\"row\">Severity</th><td>high</td>" in html
    changed = env.client.put("/api/v1/wiki/Inc/Outage/fields", headers=env.auth("bob"),
                             json={"fields": {"Severity": "low"}})
    assert changed.status_code == 200 and changed.get_json()["fields"] == {"Severity": "low"}
    assert env.put("alice", "Ops/NoForm", "x", 0, fields={"A": "b"}).status_code == 422


def test_upload_and_download_attachment_through_pages(env: WikiEnv) -> None:
    env.create("Ops/Files", "f")
    browser = env.login("alice")
    token = csrf_token(browser.get("/wiki/Ops/Files").get_data(as_text=True))
    response = browser.post("/wiki/Ops/Files/attach", content_type="multipart/form-data", data={
        "csrf_token": token, "comment": "logo",
        "file": (io.BytesIO(b"\x89PNG fake"), "logo.png", "image/png")})
    assert response.status_code == 302
    image = browser.get("/wiki/Ops/Files/files/logo.png")
    assert image.data == b"\x89PNG fake" and image.mimetype == "image/png"
    assert image.headers["Content-Security-Policy"].startswith("sandbox")
    assert env.login("carl").get("/wiki/Ops/Files/files/logo.png").status_code == 404


def test_search_page_renders_escaped_snippets(env: WikiEnv) -> None:
    from hub.search.indexer import catch_up

    env.create("Ops/Escapes", "the <b>quokka</b> & friends")
    catch_up(env.hub)
    html = env.login("alice").get("/search?q=quokka").get_data(as_text=True)
    assert "/wiki/Ops/Escapes" in html and "<mark>quokka</mark>" in html
    assert "<b>quokka" not in html
    assert env.login("alice").get("/search?q=x&limit=abc").status_code == 200
