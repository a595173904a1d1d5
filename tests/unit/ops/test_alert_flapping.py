"""Flap detection from state-change times, with start/stop hysteresis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.ops.alerts.flapping import FlapPolicy, is_flapping, recent_changes

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
POLICY = FlapPolicy(window=timedelta(minutes=30), start_changes=4, stop_changes=2)


def minutes_ago(*values: int) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in values]


def test_few_changes_are_not_flapping() -> None:
    assert not is_flapping(minutes_ago(1, 5, 10), NOW, POLICY)


def test_enough_changes_in_the_window_start_flapping() -> None:
    assert is_flapping(minutes_ago(1, 5, 10, 29), NOW, POLICY)


def test_changes_outside_the_window_do_not_count() -> None:
    assert not is_flapping(minutes_ago(1, 5, 10, 30, 45), NOW, POLICY)
    assert recent_changes(minutes_ago(45, 1, 30, 5), NOW, POLICY.window) == minutes_ago(5, 1)


def test_future_times_do_not_count() -> None:
    assert recent_changes([NOW + timedelta(seconds=1)], NOW, POLICY.window) == []


def test_hysteresis_keeps_flapping_until_below_the_stop_threshold() -> None:
    two = minutes_ago(1, 2)
    assert not is_flapping(two, NOW, POLICY)
    assert is_flapping(two, NOW, POLICY, was_flapping=True)
    assert not is_flapping(minutes_ago(1), NOW, POLICY, was_flapping=True)


def test_default_policy() -> None:
    assert is_flapping(minutes_ago(*range(6)), NOW)
    assert not is_flapping(minutes_ago(*range(5)), NOW)


@pytest.mark.parametrize(
    ("window", "start", "stop"),
    [(timedelta(0), 4, 2), (timedelta(minutes=1), 2, 3), (timedelta(minutes=1), 2, 0)],
)
def test_bad_policies_are_refused(window: timedelta, start: int, stop: int) -> None:
    with pytest.raises(ValueError):
        FlapPolicy(window=window, start_changes=start, stop_changes=stop)
