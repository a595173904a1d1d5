"""Three-way merge of topic texts."""

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.wiki.merge import merge3

BASE = "one\ntwo\nthree\nfour\nfive\n"


def test_given_edits_in_different_places_when_merged_then_clean_with_both() -> None:
    ours = "ONE\ntwo\nthree\nfour\nfive\n"
    theirs = "one\ntwo\nthree\nfour\nFIVE\nsix\n"
    result = merge3(BASE, ours, theirs)
    assert result.clean
    assert result.text == "ONE\ntwo\nthree\nfour\nFIVE\nsix\n"


def test_given_same_line_changed_differently_when_merged_then_conflict_markers() -> None:
    result = merge3(BASE, BASE.replace("three", "3a"), BASE.replace("three", "3b"))
    assert not result.clean
    assert result.text == (
        "one\ntwo\n<<<<<<< yours\n3a\n=======\n3b\n>>>>>>> theirs\nfour\nfive\n"
    )
    [conflict] = result.conflicts
    assert (conflict.base_line, conflict.base, conflict.ours, conflict.theirs) == (
        3, "three\n", "3a\n", "3b\n"
    )


def test_given_same_change_on_both_sides_when_merged_then_clean() -> None:
    changed = BASE.replace("two", "TWO")
    assert merge3(BASE, changed, changed).text == changed


def test_given_delete_and_unchanged_when_merged_then_delete_wins() -> None:
    result = merge3(BASE, BASE.replace("two\n", ""), BASE)
    assert result.clean and result.text == "one\nthree\nfour\nfive\n"


def test_given_delete_against_edit_when_merged_then_conflict() -> None:
    result = merge3(BASE, BASE.replace("two\n", ""), BASE.replace("two", "2"))
    assert not result.clean


def test_given_missing_final_newline_when_conflicting_then_markers_on_own_lines() -> None:
    result = merge3("a", "b", "c")
    assert result.text == "<<<<<<< yours\nb\n=======\nc\n>>>>>>> theirs\n"


def test_given_empty_base_and_one_side_adds_when_merged_then_added() -> None:
    assert merge3("", "new\n", "").text == "new\n"


lines = st.lists(st.text(alphabet="abc \n", max_size=6).map(lambda s: s.replace("\n", "")),
                 max_size=12)


@settings(deadline=None, max_examples=200)
@given(base=lines, side=lines)
def test_property_identical_sides_merge_to_that_side(base: list[str], side: list[str]) -> None:
    b, s = "\n".join(base), "\n".join(side)
    result = merge3(b, s, s)
    assert result.clean and result.text == s


@settings(deadline=None, max_examples=200)
@given(base=lines, side=lines)
def test_property_one_sided_change_is_taken(base: list[str], side: list[str]) -> None:
    b, s = "\n".join(base), "\n".join(side)
    assert merge3(b, s, b).text == s
    assert merge3(b, b, s).text == s


@settings(deadline=None, max_examples=300)
@given(
    n=st.integers(min_value=3, max_value=30),
    data=st.data(),
)
def test_property_non_overlapping_edits_merge_cleanly(n: int, data: st.DataObject) -> None:
    base = [f"line {k}\n" for k in range(n)]
    i = data.draw(st.integers(min_value=0, max_value=n - 3))
    j = data.draw(st.integers(min_value=i + 2, max_value=n - 1))
    ours_new = data.draw(st.lists(st.sampled_from(["ours A\n", "ours B\n"]), max_size=3))
    theirs_new = data.draw(st.lists(st.sampled_from(["theirs A\n", "theirs B\n"]), max_size=3))
    ours = base[:i] + ours_new + base[i + 1:]
    theirs = base[:j] + theirs_new + base[j + 1:]
    result = merge3("".join(base), "".join(ours), "".join(theirs))
    assert result.clean
    assert result.text == "".join(base[:i] + ours_new + base[i + 1:j] + theirs_new + base[j + 1:])
