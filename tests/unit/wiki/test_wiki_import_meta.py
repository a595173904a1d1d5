"""What a TWiki import keeps, piece by piece: RCS lines, META helpers, aggregate rules.

The end-to-end checks (CLI, real server) are in
tests/integration/wiki/test_wiki_import_fixture.py; these pin the rules each piece
follows so a regression names its culprit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hub.actors import Actor, system_actor
from hub.domain import PermissionDeniedError
from hub.wiki.forms import FieldDef, form_rows, page_form
from hub.wiki.import_files import epoch_iso, twiki_user
from hub.wiki.importer import ImportReport, WebCounts, decode_topic, summary_table
from hub.wiki.model import CHANGE, Page
from hub.wiki.rcs import apply_diff, parse_rcs

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "twiki"
EDITOR = Actor("alice", role="staff", rights=frozenset({CHANGE}))
HISTORIES = sorted(TREE.glob("*/**/*,v"))


def test_rcs_lines_end_at_newline_only() -> None:
    # A lone CR and U+2028 are inside a line for RCS (str.splitlines would split there).
    source = "one\rstill one\u2028same\nsecond\nthird\n"
    assert apply_diff(source, "d2 1\n") == "one\rstill one\u2028same\nthird\n"
    assert apply_diff(source, "a1 1\ninserted\n") == (
        "one\rstill one\u2028same\ninserted\nsecond\nthird\n")


@pytest.mark.skipif(shutil.which("co") is None, reason="rcs not installed")
@pytest.mark.parametrize("history", HISTORIES, ids=lambda p: str(p.relative_to(TREE)))
def test_fixture_histories_read_exactly_as_co_prints_them(history: Path) -> None:
    revisions = parse_rcs(history.read_bytes())
    assert revisions, history
    for rev in revisions:
        printed = subprocess.run(["co", "-q", "-p", f"-r{rev.rev}", str(history)],
                                 check=True, capture_output=True).stdout
        assert rev.text.encode("utf-8", errors="surrogateescape") == printed, rev.rev


def test_decode_topic_falls_back_to_iso_8859_1() -> None:
    assert decode_topic("Grüße".encode()) == "Grüße"
    assert decode_topic("Grüße".encode("iso-8859-1")) == "Grüße"


def test_twiki_user_and_epoch_dates() -> None:
    assert twiki_user("Main.JohnSmith") == "JohnSmith"
    assert twiki_user("%USERSWEB%.JaneDoe") == "JaneDoe"
    assert twiki_user("johnsmith") == "johnsmith"
    assert epoch_iso("1136189700") == "2006-01-02T08:15:00+00:00"
    assert epoch_iso("") is None and epoch_iso("yesterday") is None
    assert epoch_iso("9" * 30) is None  # out of range: no date rather than a crash


def test_summary_table_has_a_row_per_web_and_a_total() -> None:
    report = ImportReport(topics=3, revisions=7, attachments=1, warnings=["w"],
                          webs={"Ops": WebCounts(2, 6, 1, 1), "Main": WebCounts(1, 1, 0, 0)})
    lines = summary_table(report).splitlines()
    assert lines[0].split() == ["web", "|", "topics", "|", "revisions", "|", "attachments",
                                "|", "warnings"]
    assert [c.strip() for c in lines[2].split("|")] == ["Main", "1", "1", "0", "0"]
    assert [c.strip() for c in lines[3].split("|")] == ["Ops", "2", "6", "1", "1"]
    assert [c.strip() for c in lines[-1].split("|")] == ["total (2 webs)", "3", "7", "1", "1"]


def test_page_form_keeps_order_and_titles() -> None:
    page = {"form": "IncidentForm", "fields": {"Severity": "high", "Host": "web1"},
            "field_titles": {"Severity": "Severity level"}}
    assert page_form(page) == {"name": "IncidentForm", "fields": [
        {"name": "Severity", "title": "Severity level", "value": "high"},
        {"name": "Host", "title": "Host", "value": "web1"}]}
    assert page_form({"form": None, "fields": {}}) is None
    # The page's own (imported) form wins over the web's WebForm definitions.
    assert form_rows([FieldDef("Other")], page) == [("Severity level", "high"),
                                                    ("Host", "web1")]
    plain = {"form": None, "fields": {"Other": "x"}, "field_titles": None}
    assert form_rows([FieldDef("Other"), FieldDef("Empty")], plain) == [
        ("Other", "x"), ("Empty", "")]


def _page() -> Page:
    page = Page("Ops.Disk")
    page.save(EDITOR, "text", base_revision=0)
    page.mark_saved(2)
    return page


def test_form_name_and_titles_are_recorded_once() -> None:
    page = _page()
    page.set_fields(EDITOR, {"Severity": "high"}, form="IncidentForm",
                    titles={"Severity": "Severity level"})
    assert [e.data for e in page.pending] == [{"fields": {"Severity": "high"},
                                               "form": "IncidentForm",
                                               "titles": {"Severity": "Severity level"}}]
    page.set_fields(EDITOR, {"Severity": "high"}, form="IncidentForm",
                    titles={"Severity": "Severity level"})
    assert len(page.pending) == 1  # nothing changed: no second event
    page.set_fields(EDITOR, {"Severity": "high"})
    assert len(page.pending) == 1  # an edit without form data keeps the form
    assert page.form == "IncidentForm"


def test_moves_are_recorded_once_per_pair() -> None:
    page = _page()
    for _ in range(2):
        page.record_move(EDITOR, from_name="Ops.Old", to_name="Ops.Disk", by="JaneDoe",
                         original_at="2006-01-02T08:15:00+00:00")
    assert [e.type for e in page.pending] == ["PageMoveRecorded"]
    with pytest.raises(PermissionDeniedError):
        page.record_move(Actor("carl", role="customer"), from_name="A.B", to_name="Ops.Disk",
                         by="x", original_at=None)


def test_attachment_keeps_uploader_date_and_hidden_only_when_given() -> None:
    page = _page()
    page.attach(system_actor(), name="a.txt", sha256="0" * 64, size=1, content_type="text/plain",
                comment="c", author="JaneDoe", original_at="2006-01-02T08:00:00+00:00",
                hidden=True)
    page.attach(EDITOR, name="b.txt", sha256="1" * 64, size=1, content_type="text/plain")
    first, second = (e.data for e in page.pending)
    assert (first["author"], first["original_at"], first["hidden"]) == (
        "JaneDoe", "2006-01-02T08:00:00+00:00", True)
    assert "hidden" not in second and "original_at" not in second  # stored JSON as before
    assert second["author"] == "alice"
