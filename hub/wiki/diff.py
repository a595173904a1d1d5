"""Line diffs of topic revisions for the history view and the API's ``/diff``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest
from typing import Literal

RowKind = Literal["equal", "insert", "delete", "replace"]


@dataclass(frozen=True)
class Row:
    """One row of a side-by-side table; line numbers are 1-based, None when absent."""

    kind: RowKind
    left: str | None
    right: str | None
    left_no: int | None
    right_no: int | None


def unified(a: str, b: str, from_label: str = "a", to_label: str = "b", context: int = 3) -> str:
    """A ``diff -u`` style text; empty when the texts are equal."""
    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), from_label, to_label, n=context, lineterm=""
    )
    text = "\n".join(lines)
    return text + "\n" if text else ""


def side_by_side(a: str, b: str) -> list[Row]:
    """Rows pairing old and new lines, so a template needs no diff logic of its own."""
    left, right = a.splitlines(), b.splitlines()
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row("equal", left[i], right[j], i + 1, j + 1)
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        elif tag == "delete":
            rows += [Row("delete", left[i], None, i + 1, None) for i in range(i1, i2)]
        elif tag == "insert":
            rows += [Row("insert", None, right[j], None, j + 1) for j in range(j1, j2)]
        else:
            for i, j in zip_longest(range(i1, i2), range(j1, j2)):
                rows.append(Row(
                    "replace",
                    None if i is None else left[i],
                    None if j is None else right[j],
                    None if i is None else i + 1,
                    None if j is None else j + 1,
                ))
    return rows
