"""Diffs for the history view."""

from hub.wiki.diff import Row, side_by_side, unified


def test_given_changed_text_when_unified_then_diff_u_format() -> None:
    out = unified("a\nb\nc\n", "a\nB\nc\n", "r1", "r2")
    assert out == "--- r1\n+++ r2\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"


def test_given_equal_texts_when_unified_then_empty() -> None:
    assert unified("x\n", "x\n", "a", "b") == ""


def test_given_edits_when_side_by_side_then_rows_classified() -> None:
    rows = side_by_side("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n")
    assert rows == [
        Row("equal", "a", "a", 1, 1),
        Row("replace", "b", "B", 2, 2),
        Row("equal", "c", "c", 3, 3),
        Row("equal", "d", "d", 4, 4),
        Row("insert", None, "e", None, 5),
    ]


def test_given_deleted_and_uneven_replace_when_side_by_side_then_gaps_are_none() -> None:
    rows = side_by_side("a\nb\nc\n", "x\ny\nz\nw\nc\n")
    assert rows[-1] == Row("equal", "c", "c", 3, 5)
    assert [r.kind for r in rows[:-1]] == ["replace"] * 4
    assert rows[3] == Row("replace", None, "w", None, 4)
    assert side_by_side("a\nb\n", "a\n")[1] == Row("delete", "b", None, 2, None)
