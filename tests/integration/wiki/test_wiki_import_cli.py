"""``hub wiki import``: a TWiki data/ + pub/ tree with real RCS history (ci, rcs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.actors import Actor
from hub.bootstrap import Hub
from hub.wiki.queries import attachments, backlinks, get_page, history, view_page

pytestmark = pytest.mark.skipif(shutil.which("ci") is None, reason="rcs tools not installed")

REVISIONS = [
    ("johnsmith", "2004/03/01 10:00:00", "JohnSmith", 1078135200,
     "---+ Disk Recovery\n\nFirst draft.\n"),
    ("janedoe", "2005/06/01 12:30:00", "JaneDoe", 1117629000,
     "---+ Disk Recovery\n\n   * Check the *array*\n   * Replace the =disk=\n\nSee WebHome.\n"),
    ("janedoe", "2006/01/02 08:15:00", "JaneDoe", 1136189700,
     "---+ Disk Recovery\n\n   * Check the *array*\n   * Replace the =disk=\n\n"
     "<verbatim>\nmdadm --detail /dev/md0\n</verbatim>\n\n"
     "| *Host* | *Role* |\n| web1 | frontend |\n\nSee WebHome.\n"
     "   * Set ALLOWTOPICVIEW = alice\n"),
]


def _topic_file(wikiname: str, epoch: int, version: int, body: str) -> str:
    return (f'%META:TOPICINFO{{author="{wikiname}" date="{epoch}" format="1.1" '
            f'version="1.{version}"}}%\n%META:TOPICPARENT{{name="WebHome"}}%\n{body}'
            '%META:FIELD{name="Severity" attributes="" title="Severity" value="high"}%\n')


def _ci(cwd: Path, name: str, login: str, date: str, message: str) -> None:
    subprocess.run(["ci", "-q", "-l", f"-m{message}", f"-w{login}", f"-d{date}", name],
                   cwd=cwd, check=True, capture_output=True)


def build_tree(root: Path) -> None:
    web = root / "data" / "Ops"
    web.mkdir(parents=True)
    (web / "WebHome.txt").write_text("---+ Ops home\n\nSee DiskRecovery.\n")
    topic = web / "DiskRecovery.txt"
    for n, (login, date, wikiname, epoch, body) in enumerate(REVISIONS, start=1):
        topic.write_text(_topic_file(wikiname, epoch, n, body))
        if n == 1:
            subprocess.run(["rcs", "-q", "-i", "-t-DiskRecovery", "-ko", topic.name],
                           cwd=web, check=True, capture_output=True)
        _ci(web, topic.name, login, date, f"revision {n}")
    (web / "bad name.txt").write_text("skipped")
    pub = root / "pub" / "Ops" / "DiskRecovery"
    pub.mkdir(parents=True)
    (pub / "layout.txt").write_bytes(b"rack 4, slot 2\n")


def test_import_keeps_each_revision_author_date_and_text(hub: Hub, tmp_path: Path) -> None:
    build_tree(tmp_path / "twiki")
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test",
           "HUB_DATABASE_URL": ""}
    command = [sys.executable, "-m", "hub.cli", "wiki", "import", str(tmp_path / "twiki")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "imported 2 topics, 4 revisions, 1 attachments" in result.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0

    admin = Actor("admin", "admin@hub.test", "admin")
    with hub.engine.connect() as conn:
        revisions = history(conn, admin, "Ops", "DiskRecovery")
        assert [r["revision"] for r in revisions] == [3, 2, 1]  # the second import added nothing
        assert [r["author"] for r in revisions[::-1]] == ["JohnSmith", "JaneDoe", "JaneDoe"]
        assert [r["original_at"][:16] for r in revisions[::-1]] == [
            "2004-03-01T10:00", "2005-06-01T12:30", "2006-01-02T08:15"]
        first = view_page(conn, admin, "Ops", "DiskRecovery", 1)["text"]
        second = view_page(conn, admin, "Ops", "DiskRecovery", 2)["text"]
        assert first == "# Disk Recovery\n\nFirst draft.\n"
        assert "* Check the **array**" in second and "`disk`" in second
        page = get_page(conn, "Ops", "DiskRecovery")
        assert page is not None
        assert "```\nmdadm --detail /dev/md0\n```" in page["text"]
        assert "   * Set ALLOWTOPICVIEW = alice" in page["text"]  # kept verbatim for ACLs
        assert page["acl"] == {"ALLOWTOPICVIEW": ["alice"]}
        assert page["parent"] == "Ops.WebHome" and page["fields"] == {"Severity": "high"}
        assert "%META" not in page["text"]
        assert [a["name"] for a in attachments(conn, admin, "Ops", "DiskRecovery")] == [
            "layout.txt"]
        assert [b["topic"] for b in backlinks(conn, admin, "Ops", "WebHome")] == ["DiskRecovery"]
        bob = Actor("bob", "bob@example.com", "staff")
        with pytest.raises(Exception, match="not found"):
            view_page(conn, bob, "Ops", "DiskRecovery")
    assert "skipped Ops/bad name.txt" in result.stderr


def test_only_the_importer_may_name_another_uploader(hub: Hub) -> None:
    from hub.actors import system_actor
    from hub.domain import PermissionDeniedError
    from hub.wiki import commands as c

    hub.bus.handle(c.SavePage(web="Ops", topic="Notes", text="x", base_revision=0),
                   system_actor())
    forged = c.ImportAttachment("Ops", "Notes", "a.txt", "0" * 64, 1, "text/plain", "",
                                "SomeoneElse", "2001-01-01T00:00:00+00:00")
    with pytest.raises(PermissionDeniedError):
        hub.bus.handle(forged, Actor("admin", "admin@hub.test", "admin"))
    assert hub.bus.handle(forged, system_actor("cli", "wiki-import"))["version"] == 1
