"""SLA clocks computed from a ticket's compact inputs, a policy and a calendar (pure).

The inputs are what the events told: when the ticket was created, its priority,
its first staff reply and every status it went through with the time. From them
and a policy, each clock gets its due time, its warning time and whether it
stopped. Because nothing else is needed, a changed policy or calendar is applied
to every open ticket by calling :func:`compute` again, without reading streams.

- The **response** clock starts at creation and stops at the first staff reply
  (or when the ticket first leaves the active statuses unanswered).
- The **resolve** clock starts at creation and stops when the ticket becomes
  inactive (resolved, rejected, deleted); a reopen resumes it, and the time spent
  inactive does not count.
- Both pause while the status is one of the policy's ``pause_on``; the business
  time spent paused does not count and the clock resumes exactly where it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hub.sla.calendar import Clock
from hub.sla.policy import CLOCKS, SlaPolicy

Span = tuple[dt.datetime, dt.datetime | None]  # end None: still going


@dataclass(frozen=True)
class TicketInputs:
    created: dt.datetime
    priority: int
    first_response: dt.datetime | None
    statuses: tuple[tuple[dt.datetime, str], ...]  # (since, status), oldest first
    inactive: frozenset[str]


@dataclass(frozen=True)
class ClockState:
    clock: str
    due: dt.datetime | None  # None: paused before reaching it (or no target)
    warn: dt.datetime | None
    stopped: dt.datetime | None
    paused: bool

    def breached(self, now: dt.datetime) -> bool:
        return self.due is not None and (self.stopped or now) > self.due


def spans(statuses: Sequence[tuple[dt.datetime, str]],
          when: Callable[[str], bool]) -> list[Span]:
    """The intervals during which ``when(status)`` held, the last maybe open-ended."""
    out: list[Span] = []
    since: dt.datetime | None = None
    for at, status in statuses:
        if when(status) and since is None:
            since = at
        elif not when(status) and since is not None:
            if at > since:
                out.append((since, at))
            since = None
    if since is not None:
        out.append((since, None))
    return out


def reach(calendar: Clock, start: dt.datetime, target: dt.timedelta,
          pauses: Sequence[Span]) -> dt.datetime | None:
    """When ``target`` of business time has run from ``start``, not counting ``pauses``;
    ``None`` when an open-ended pause began before that."""
    remaining = target
    cursor = start
    for begin, end in pauses:
        if end is not None and end <= cursor:
            continue
        begin = max(begin, cursor)
        candidate = calendar.add(cursor, remaining)
        if candidate <= begin:
            return candidate
        remaining -= calendar.elapsed(cursor, begin)
        if end is None:
            return None
        cursor = end
    return calendar.add(cursor, remaining)


def _clock(calendar: Clock, name: str, start: dt.datetime, target: dt.timedelta | None,
           warn_after: dt.timedelta | None, pauses: list[Span],
           stopped: dt.datetime | None) -> ClockState | None:
    if target is None:
        return None
    if stopped is not None:  # judged as if it had gone on: did it stop in time?
        pauses = [(a, b) for a, b in pauses if a < stopped]
        pauses = [(a, b if b is not None and b <= stopped else stopped) for a, b in pauses]
    due = reach(calendar, start, target, pauses)
    warn = reach(calendar, start, warn_after, pauses) if warn_after is not None else None
    paused = stopped is None and bool(pauses) and pauses[-1][1] is None
    return ClockState(name, due, warn, stopped, paused)


def compute(inputs: TicketInputs, policy: SlaPolicy, calendar: Clock) -> dict[str, ClockState]:
    """Each running clock of the ticket under ``policy`` (a clock without target is left out)."""
    targets = policy.targets_for(inputs.priority)
    paused = spans(inputs.statuses, policy.pause_on.__contains__)
    inactive = spans(inputs.statuses, inputs.inactive.__contains__)
    resolved = inactive[-1][0] if inactive and inactive[-1][1] is None else None
    first_inactive = inactive[0][0] if inactive else None
    answered = min((t for t in (inputs.first_response, first_inactive) if t is not None),
                   default=None)
    resolve_pauses = spans(inputs.statuses, lambda s: s in policy.pause_on
                           or s in inputs.inactive)
    out: dict[str, ClockState] = {}
    for name, pauses, stopped in (("response", paused, answered),
                                  ("resolve", resolve_pauses, resolved)):
        state = _clock(calendar, name, inputs.created, targets.target(name),
                       targets.warning_at(name), pauses, stopped)
        if state is not None:
            out[name] = state
    return out


__all__ = ["CLOCKS", "ClockState", "TicketInputs", "compute", "reach", "spans"]
