"""Is an object flapping? Decided from its recent state-change times alone.

A flapping check must not open a ticket per change; the caller asks this function
and, while it says yes, records changes on one summary instead. Two thresholds
(start high, stop low) keep the answer from flapping itself, as in Nagios.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FlapPolicy:
    """``start_changes`` changes within ``window`` start flapping; fewer than
    ``stop_changes`` end it."""

    window: timedelta = timedelta(hours=1)
    start_changes: int = 6
    stop_changes: int = 3

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError("flap window must be positive")
        if not 0 < self.stop_changes <= self.start_changes:
            raise ValueError("need 0 < stop_changes <= start_changes")


def recent_changes(
    change_times: Iterable[datetime], now: datetime, window: timedelta
) -> list[datetime]:
    """The change times inside ``(now - window, now]``, sorted: what a caller keeps."""
    start = now - window
    return sorted(t for t in change_times if start < t <= now)


def is_flapping(
    change_times: Iterable[datetime],
    now: datetime,
    policy: FlapPolicy = FlapPolicy(),
    *,
    was_flapping: bool = False,
) -> bool:
    """True while the object changes state too often to deserve one ticket per change."""
    count = len(recent_changes(change_times, now, policy.window))
    if was_flapping:
        return count >= policy.stop_changes
    return count >= policy.start_changes
