"""``hub wiki import`` of the TWiki fixture tree (tests/fixtures/twiki), read back
through a real ``hub serve``: nothing TWiki knew about a topic is lost.

The tree holds every ``%META%`` form (TOPICINFO, TOPICPARENT, FORM, FIELD,
FILEATTACHMENT with a hidden and a missing file, TOPICMOVED), RCS histories made by
the real ``ci`` (one CRLF topic with a lone CR and U+2028), and topics using each
macro and link form the renderer handles.  Every imported topic's page, history and
API document must answer 200.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from hub_support import Server, make_hub, make_token

from hub.bootstrap import Hub
from hub.db import events

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "twiki"
TIMEOUT = 30
TOPICS = sorted(f"{p.parent.name}/{p.stem}" for p in (TREE / "data").glob("*/*.txt")
                if " " not in p.name)


@dataclass
class Imported:
    hub: Hub
    srv: Server
    result: subprocess.CompletedProcess[str]
    again: subprocess.CompletedProcess[str]
    events_after_first: int
    events_after_second: int
    token: str
    browser: requests.Session

    def api(self, path: str, **params: str) -> requests.Response:
        return requests.get(f"{self.srv.url}/api/v1/wiki/{path}", params=params,
                            headers={"Authorization": f"Bearer {self.token}"}, timeout=TIMEOUT)

    def page(self, path: str) -> dict[str, Any]:
        response = self.api(path)
        assert response.status_code == 200, (path, response.text)
        return dict(response.json())


def _count(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def _login(srv: Server) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{srv.url}/login", timeout=TIMEOUT).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = browser.post(f"{srv.url}/login", timeout=TIMEOUT, data={
        "csrf_token": token.group(1), "username": "admin", "password": "admin-password"})
    assert answer.status_code == 200 and "/login" not in answer.url, answer.text[:500]
    return browser


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    root = tmp_path_factory.mktemp("twiki-import")
    hub = make_hub(root)
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test",
           "HUB_DATABASE_URL": ""}
    command = [sys.executable, "-m", "hub.cli", "wiki", "import", str(TREE)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    first = _count(hub)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    srv = Server(Path(hub.settings.data_dir), env)
    srv.start("--no-scheduler", "--no-smtp")
    try:
        yield Imported(hub, srv, result, again, first, _count(hub), make_token(hub, "admin"),
                       _login(srv))
    finally:
        srv.stop()
        hub.engine.dispose()


def test_summary_table_counts_and_warnings(imported: Imported) -> None:
    out, err = imported.result.stdout, imported.result.stderr
    rows = {line.split("|")[0].strip(): [c.strip() for c in line.split("|")[1:]]
            for line in out.splitlines() if line.count("|") == 4}
    assert rows["web"] == ["topics", "revisions", "attachments", "warnings"]
    # Ops: 11 topics, revisions 2+1+1+3+2+1+1+1+2+1+2; attachments: smartctl (2 versions
    # counted as one file), secret-notes, diagram.png, unlisted.txt; lost-photo is missing.
    assert rows["Ops"] == ["11", "17", "4", "3"]
    assert rows["Main"] == ["3", "3", "0", "0"]
    assert rows["total (2 webs)"] == ["14", "20", "4", "3"]
    assert ("warning: Ops.DiskIncident: attachment 'lost-photo.jpg' is named in "
            "%META:FILEATTACHMENT% but missing under pub/Ops/DiskIncident/") in err
    assert "warning: Ops.BadParent: parent 'not a topic!' is not a topic name" in err
    assert "warning: skipped Ops/bad name.txt: not a topic name" in err
    assert "14 topics, 20 revisions, 4 attachments, 3 warnings" in out


def test_importing_the_same_tree_again_changes_nothing(imported: Imported) -> None:
    assert imported.events_after_second == imported.events_after_first
    assert "total (2 webs)" in imported.again.stdout


def _wiki_tables(hub: Hub) -> dict[str, list[tuple[Any, ...]]]:
    with hub.engine.connect() as conn:
        return {name: sorted((tuple(row) for row in conn.execute(sa.text(
            f"SELECT * FROM {name}"))), key=repr)
            for name in ("wiki_pages", "wiki_revisions", "wiki_attachments", "wiki_links")}


def test_rebuilding_the_wiki_projection_gives_the_same_tables(imported: Imported) -> None:
    before = _wiki_tables(imported.hub)
    assert any(row for row in before["wiki_attachments"])
    rebuilt = subprocess.run([sys.executable, "-m", "hub.cli", "projections", "rebuild", "wiki"],
                             env=imported.srv.env, capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _wiki_tables(imported.hub) == before


def test_every_revision_keeps_its_author_and_date(imported: Imported) -> None:
    history = imported.api("Ops/DiskIncident/history").json()["revisions"]
    assert [(r["revision"], r["author"], r["original_at"]) for r in history] == [
        (3, "AdminUser", "2006-01-02T08:15:00+00:00"),
        (2, "JaneDoe", "2005-06-01T12:30:00+00:00"),
        (1, "JohnSmith", "2004-03-01T10:00:00+00:00")]
    page = imported.page("Ops/DiskIncident")
    assert (page["revision"], page["author"], page["original_at"]) == (
        3, "AdminUser", "2006-01-02T08:15:00+00:00")
    html = imported.browser.get(f"{imported.srv.url}/wiki/Ops/DiskIncident/history",
                                timeout=TIMEOUT).text
    for who, when in (("JohnSmith", "2004-03-01T10:00:00"), ("JaneDoe", "2005-06-01T12:30"),
                      ("AdminUser", "2006-01-02T08:15")):
        assert re.search(rf"<td>{who}</td>\s*<td>{when}", html), who


def test_crlf_history_with_lone_cr_is_read_as_rcs_wrote_it(imported: Imported) -> None:
    first = imported.api("Ops/CrlfNotes", rev="1").json()["text"]
    second = imported.page("Ops/CrlfNotes")["text"]
    assert "Line two." in first and "carriage return and a" in first
    assert "Line 2, changed." in second and "Line three." in second
    assert "carriage return and a" in second


def test_iso_8859_1_topics_keep_their_umlauts(imported: Imported) -> None:
    history = imported.api("Ops/LegacyLatin1/history").json()["revisions"]
    assert [r["author"] for r in history] == ["JuergenMueller", "JuergenMueller"]
    page = imported.page("Ops/LegacyLatin1")
    assert page["title"] == "Störung"
    assert "Jürgen prüft den Lüfter. Erledigt, Grüße." in page["text"]
    assert "\ufffd" not in page["text"]


def test_form_name_fields_and_titles_are_kept(imported: Imported) -> None:
    page = imported.page("Ops/DiskIncident")
    assert page["fields"] == {"Severity": "high", "Host": "web1, web2", "Resolved": ""}
    assert page["form"] == {"name": "IncidentForm", "fields": [
        {"name": "Severity", "title": "Severity level", "value": "high"},
        {"name": "Host", "title": "Affected host", "value": "web1, web2"},
        {"name": "Resolved", "title": "Resolved", "value": ""}]}
    html = imported.browser.get(f"{imported.srv.url}/wiki/Ops/DiskIncident",
                                timeout=TIMEOUT).text
    assert "IncidentForm" in html
    assert re.search(r'<th scope="row">Severity level</th><td>high</td>', html)
    assert re.search(r'<th scope="row">Affected host</th><td>web1, web2</td>', html)
    assert imported.page("Ops/WebHome")["form"] is None


def test_parent_and_move_are_kept(imported: Imported) -> None:
    runbook = imported.page("Ops/NewRunbook")
    assert runbook["parent"] == "Ops.WebHome"
    assert runbook["moved"] == {"from": "Ops.OldRunbook", "to": "Ops.NewRunbook",
                                "by": "JaneDoe", "at": "2006-01-02T08:15:00+00:00"}
    assert imported.page("Ops/DiskIncident")["parent"] == "Ops.WebHome"
    assert imported.page("Ops/BadParent")["parent"] is None
    html = imported.browser.get(f"{imported.srv.url}/wiki/Ops/NewRunbook",
                                timeout=TIMEOUT).text
    assert "Moved from Ops.OldRunbook to Ops.NewRunbook by JaneDoe" in html
    tree = imported.api("Ops/WebHome/tree").json()
    assert {"DiskIncident", "NewRunbook"} <= {c["topic"] for c in tree["children"]}


def test_attachments_keep_comment_uploader_date_and_hidden(imported: Imported) -> None:
    listed = {a["name"]: a for a in
              imported.api("Ops/DiskIncident/attachments").json()["attachments"]}
    assert set(listed) == {"smartctl.txt"}  # secret-notes is hidden, lost-photo missing
    smart = listed["smartctl.txt"]
    assert (smart["comment"], smart["author"], smart["original_at"], smart["hidden"]) == (
        "SMART output of sdb", "JaneDoe", "2006-01-02T08:00:00+00:00", False)
    # The older version from pub/.../smartctl.txt,v, with its own uploader and date.
    assert [(v["version"], v["author"], v["original_at"]) for v in smart["versions"]] == [
        (2, "JaneDoe", "2006-01-02T08:00:00+00:00"),
        (1, "johnsmith", "2005-06-01T12:00:00+00:00")]
    everything = {a["name"]: a for a in imported.api(
        "Ops/DiskIncident/attachments", hidden="1").json()["attachments"]}
    secret = everything["secret-notes.txt"]
    assert (secret["hidden"], secret["author"], secret["comment"]) == (
        True, "JohnSmith", "internal notes, hidden")
    assert imported.api("Ops/DiskIncident/attachments/secret-notes.txt").content == (
        b"root password: hunter2\n")
    old = imported.api("Ops/DiskIncident/attachments/smartctl.txt", version="1")
    assert old.content == b"SMART: sdb PASSED\n"
    url = imported.srv.url
    html = imported.browser.get(f"{url}/wiki/Ops/DiskIncident", timeout=TIMEOUT).text
    assert "SMART output of sdb" in html and "JaneDoe" in html and "2006-01-02T08:00" in html
    assert "secret-notes.txt" not in html
    download = imported.browser.get(f"{url}/wiki/Ops/DiskIncident/files/secret-notes.txt",
                                    timeout=TIMEOUT)
    assert download.status_code == 200 and download.content == b"root password: hunter2\n"
    unlisted = imported.api("Ops/WebHome/attachments").json()["attachments"]
    assert [(a["name"], a["comment"]) for a in unlisted] == [
        ("unlisted.txt", "imported from TWiki")]
    png = imported.api("Ops/LinkForms/attachments/diagram.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_no_meta_or_rcs_leaks_into_the_text(imported: Imported) -> None:
    for path in TOPICS:
        text = imported.page(path)["text"]
        assert "%META:" not in text, path


@pytest.mark.parametrize("path", TOPICS)
def test_every_imported_topic_answers_200(imported: Imported, path: str) -> None:
    url = imported.srv.url
    doc = imported.page(path)
    assert doc["html"].strip(), path
    for suffix in ("", "/history"):
        response = imported.browser.get(f"{url}/wiki/{path}{suffix}", timeout=TIMEOUT)
        assert response.status_code == 200, (path, suffix, response.text[-2000:])
    if doc["revision"] > 1:
        diff = imported.browser.get(f"{url}/wiki/{path}/diff", timeout=TIMEOUT)
        assert diff.status_code == 200, path
        assert imported.api(f"{path}/diff").status_code == 200
