"""RCS ,v parsing checked against the real rcs tools."""

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.wiki.rcs import RcsError, apply_diff, parse_rcs

pytestmark = pytest.mark.skipif(shutil.which("ci") is None, reason="rcs not installed")

REVISIONS = [
    ("alice", "2001-02-03 04:05:06", "first @ import", "line1\nline2\nline3\n"),
    ("bob", "2010-06-07 08:09:10", "edit", "line1\nchanged @@ two\nline3\nline4\n"),
    ("carol", "2024-03-02 03:04:05", "no newline", "new0\nline1\nline3\nline4"),
    ("dave", "2024-03-03 00:00:00", "rewrite", "\n\n@\ntotally different\n"),
    ("erin", "2024-03-04 00:00:00", "empty", ""),
    ("frank", "2024-03-05 12:00:00", "back", "line1\nline2\nline3\n" * 3),
]


def _run(*args: str, cwd: Path) -> str:
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def rcs_file(tmp_path: Path) -> Path:
    work = tmp_path / "Topic.txt"
    for n, (author, date, log, text) in enumerate(REVISIONS):
        work.write_text(text)
        first = ["-i", "-t-Topic history"] if n == 0 else []
        _run("ci", "-q", "-f", "-l", *first, f"-w{author}", f"-d{date}", f"-m{log}",
             work.name, cwd=tmp_path)
    return tmp_path / "Topic.txt,v"


def test_given_real_rcs_file_when_parsed_then_every_revision_matches_co(rcs_file: Path) -> None:
    revisions = parse_rcs(rcs_file.read_bytes())
    assert [r.rev for r in revisions] == [f"1.{n}" for n in range(1, len(REVISIONS) + 1)]
    for rev, (author, date, log, text) in zip(revisions, REVISIONS, strict=True):
        expected = _run("co", "-q", "-p", f"-r{rev.rev}", rcs_file.name, cwd=rcs_file.parent)
        assert rev.text == expected == text
        assert rev.author == author
        assert rev.log.strip() == log
        assert rev.date == datetime.strptime(date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def test_given_diff_commands_when_applied_then_lines_replaced() -> None:
    assert apply_diff("a\nb\nc\n", "d2 1\na2 2\nB\nB2\n") == "a\nB\nB2\nc\n"
    assert apply_diff("a\n", "a0 1\nfirst\n") == "first\na\n"


def test_given_garbage_when_parsed_then_rcs_error() -> None:
    with pytest.raises(RcsError):
        parse_rcs("head 1.1;\n1.1\ndate 2024.01.01.00.00.00; author a; next ;\ndesc @x@\n"
                  "1.1 log @l@ text @unterminated")
    with pytest.raises(RcsError):
        apply_diff("a\n", "x1 1\n")
