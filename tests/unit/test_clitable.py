"""The command line's tables: aligned, header first, values folded, shortened only to fit."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.accounts.queries import QUEUE_RIGHTS, RIGHT_DESCRIPTIONS
from hub.clitable import cell, render, width


def _starts(line: str, text: str) -> int:
    return line.index(text)


def test_columns_line_up_under_an_upper_case_header() -> None:
    lines = render(["name", "role", "email"], [["admin", "admin", "a@example.com"],
                                               ["bo", "staff", "bo@example.com"]])
    assert lines[0].split() == ["NAME", "ROLE", "EMAIL"]
    for column in ("ROLE", "EMAIL"):
        at = _starts(lines[0], column)
        assert all(line[at - 2:at] == "  " and line[at] != " " for line in lines[1:])
    assert all(line == line.rstrip() for line in lines)  # no trailing blanks


def test_values_are_folded_to_one_line_and_typed_values_read_as_words() -> None:
    assert cell("two\nlines\t here") == "two lines here"
    assert cell(None) == "" and cell(True) == "yes" and cell(False) == "no"
    assert cell(["netops", "dba"]) == "netops, dba"
    stamp = cell(dt.datetime(2026, 1, 2, 3, 4, 5))
    assert stamp.startswith("2026-01-0") and ":04" in stamp  # minutes, local zone, no seconds
    [_, row] = render(["id", "note"], [[1, "a\nb"]])
    assert row.split() == ["1", "a", "b"]


def test_right_aligned_columns_and_wide_characters() -> None:
    lines = render(["id", "subject"], [[7, "x"], [1234, "日本語"]], right=["id"])
    assert lines[1].startswith("   7") and lines[2].startswith("1234")
    assert width("日本語") == 6
    lines = render(["subject", "state"], [["日本語", "held"], ["abc", "sent"]])
    column = _starts(lines[0], "STATE")  # on screen: wide characters take two columns
    assert width(lines[1][:_starts(lines[1], "held")]) == column == _starts(lines[2], "sent")


def test_only_flexible_columns_are_shortened_and_only_when_a_width_is_given() -> None:
    long = "x" * 80
    rows = [["keep-this-whole-value", long]]
    whole = render(["id", "error"], rows)
    assert long in whole[1]
    cut = render(["id", "error"], rows, flexible=["error"], max_width=50)
    assert max(width(line) for line in cut) <= 50
    assert "keep-this-whole-value" in cut[1] and cut[1].endswith("…")
    rigid = render(["id", "error"], rows, max_width=50)  # nothing flexible: kept whole
    assert long in rigid[1]


def test_a_row_with_the_wrong_number_of_cells_is_a_bug_not_a_table() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        render(["a", "b", "c"], [[1, 2]])


def test_every_right_has_a_description() -> None:
    assert set(RIGHT_DESCRIPTIONS) == set(QUEUE_RIGHTS)
    assert all(RIGHT_DESCRIPTIONS[r] for r in QUEUE_RIGHTS)
