"""Escalation policies: who is notified, on which channels, and how long each step waits.

A policy is data (``{steps: [{notify, via, wait}], repeat}``) checked here for its
shape; whether its targets exist is checked by the handler against the accounts and
the schedules, so a policy naming a typo is refused when it is saved, not when it
should wake someone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.durations import DurationError, format_duration, parse_duration
from hub.oncall.rotation import NAME

VIAS = ("mail", "webhook", "xmpp", "sms")
TARGET_KINDS = ("schedule", "user", "group")
DEFAULT_WAIT = dt.timedelta(minutes=5)
MAX_STEPS = 20
MAX_REPEAT = 10


class PolicyError(ValueError):
    """A policy document is malformed; the message names the field."""


@dataclass(frozen=True)
class Step:
    notify: tuple[str, ...]  # "schedule:NAME" | "user:NAME" | "group:NAME"
    via: tuple[str, ...]
    wait: dt.timedelta


@dataclass(frozen=True)
class Policy:
    name: str
    steps: tuple[Step, ...]
    repeat: int = 0

    def to_document(self) -> dict[str, Any]:
        return {"steps": [{"notify": list(s.notify) if len(s.notify) > 1 else s.notify[0],
                           "via": list(s.via), "wait": format_duration(s.wait)}
                          for s in self.steps],
                "repeat": self.repeat}


def split_target(target: object) -> tuple[str, str]:
    """``"schedule:ops"`` -> ``("schedule", "ops")``; :class:`PolicyError` otherwise."""
    if not isinstance(target, str) or ":" not in target:
        raise PolicyError(f"target {target!r} must be schedule:NAME, user:NAME or group:NAME")
    kind, _, name = target.partition(":")
    if kind not in TARGET_KINDS or not name:
        raise PolicyError(f"target {target!r} must be schedule:NAME, user:NAME or group:NAME")
    return kind, name


def _step(raw: object, i: int) -> Step:
    where = f"steps[{i}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be an object {{notify, via, wait}}")
    unknown = sorted(set(raw) - {"notify", "via", "wait"})
    if unknown:
        raise PolicyError(f"{where}: unknown fields: {unknown}")
    notify = raw.get("notify")
    targets = [notify] if isinstance(notify, str) else notify
    if not isinstance(targets, list) or not targets:
        raise PolicyError(f"{where}.notify must be a target or a list of targets")
    for target in targets:
        split_target(target)
    via = raw.get("via", ["mail"])
    vias = [via] if isinstance(via, str) else via
    if not isinstance(vias, list) or not vias:
        raise PolicyError(f"{where}.via must be a list of channels {list(VIAS)}")
    bad = [v for v in vias if v not in VIAS]
    if bad:
        raise PolicyError(f"{where}.via: unknown channels {bad}; known: {list(VIAS)}")
    try:
        wait = parse_duration(raw.get("wait", "5m"))
    except DurationError as exc:
        raise PolicyError(f"{where}.wait: {exc}") from exc
    return Step(tuple(dict.fromkeys(targets)), tuple(dict.fromkeys(vias)), wait)


def parse_policy(name: str, doc: Mapping[str, Any]) -> Policy:
    if not NAME.fullmatch(name):
        raise PolicyError("a policy name is 1-64 letters, digits, '.', '_' or '-'")
    if not isinstance(doc, Mapping):
        raise PolicyError("a policy is a JSON object")
    unknown = sorted(set(doc) - {"steps", "repeat"})
    if unknown:
        raise PolicyError(f"unknown fields: {unknown}")
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        raise PolicyError("'steps' must be a non-empty list")
    if len(steps) > MAX_STEPS:
        raise PolicyError(f"a policy has at most {MAX_STEPS} steps")
    repeat = doc.get("repeat", 0)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        raise PolicyError(f"'repeat' must be an integer 0-{MAX_REPEAT}")
    return Policy(name, tuple(_step(s, i) for i, s in enumerate(steps)), repeat)


def single_target_policy(target: str) -> Policy:
    """The policy of a page sent to one target: every channel it has a contact for, the
    default wait, no repeat."""
    split_target(target)
    return Policy(f"target:{target}", (Step((target,), VIAS, DEFAULT_WAIT),), 0)
