"""Nagios performance data parsing: real plugin outputs, edge cases, and never raising."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.ops.alerts.perfdata import PerfValue, parse_perfdata, parse_perfdata_items


def test_captured_plugin_outputs() -> None:
    assert parse_perfdata("forced_state=2;1;2;0;3") == {"forced_state": 2.0}
    assert parse_perfdata("time=0.000207s;;;0.000000;5.000000") == {"time": 0.000207}


def test_check_disk_style_quoted_labels_with_spaces_and_units() -> None:
    text = "'/ free'=1024MB;2048;1024;0;20480 '/var/lib data'=93%;80;90 'it''s'=1c"
    assert parse_perfdata(text) == {"/ free": 1024.0, "/var/lib data": 93.0, "it's": 1.0}


def test_all_units_and_missing_fields() -> None:
    text = "a=1s b=2ms c=3us d=4% e=5B f=6KB g=7MB h=8GB i=9TB j=10c k=11"
    assert parse_perfdata(text) == {k: float(v) for v, k in enumerate("abcdefghijk", start=1)}


def test_items_keep_unit_thresholds_and_range() -> None:
    items = parse_perfdata_items("rta=0.5ms;100.0;500.0;0; pl=U;20;60")
    assert items == {"rta": PerfValue(0.5, "ms", "100.0", "500.0", 0.0, None)}


def test_garbage_items_are_skipped_not_fatal() -> None:
    text = "ok=1 noequals =5 bad=abc unit=5parsecs 'unterminated=3 nan=nan neg=-1.5e2 comma=0,5"
    assert parse_perfdata(text) == {"ok": 1.0, "neg": -150.0, "comma": 0.5}


def test_first_occurrence_of_a_label_wins_and_empty_input_is_empty() -> None:
    assert parse_perfdata("x=1 x=2") == {"x": 1.0}
    assert parse_perfdata("") == {}
    assert parse_perfdata(None) == {}


@given(st.text(max_size=200))
def test_never_raises_and_values_are_finite(text: str) -> None:
    result = parse_perfdata(text)
    assert all(isinstance(v, float) and v == v and abs(v) != float("inf") for v in result.values())


@given(
    st.dictionaries(
        st.text(
            alphabet=st.characters(blacklist_characters="'=", blacklist_categories=["Cs"]),
            min_size=1,
            max_size=12,
        )
        .map(str.strip)
        .filter(bool),
        st.integers(min_value=-(10**6), max_value=10**6),
        max_size=5,
    )
)
def test_round_trip_of_well_formed_quoted_items(values: dict[str, int]) -> None:
    text = " ".join(f"'{label}'={value};;;;" for label, value in values.items())
    assert parse_perfdata(text) == {k: float(v) for k, v in values.items()}
