"""Parse ``Keyword: value`` instructions at the top of a mail body (RT's "command by mail").

Staff resolve or reassign tickets from their phone by starting a reply with lines such as
``Status: resolved``. This module only *reads* them; whether the sender may apply them is
decided by the ticket handlers, like any other command.

Parsing stops at the first line that is not a command, so ``Note: ...`` or ``Hi Bob,``
end the block. A known keyword with a malformed value also stops it: the line stays in the
body (the sender's words are never lost) and an error explains why it was not applied.

These are not bus commands (those are in :mod:`hub.mail.commands`): :mod:`hub.mail.apply`
translates each instruction into another feature's bus command.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Acknowledge",
    "AddTimeWorked",
    "MailCommand",
    "RunRunbook",
    "SetDue",
    "SetOwner",
    "SetPriority",
    "SetQueue",
    "SetStatus",
    "parse_commands",
    "parse_duration",
    "run_secret_values",
]


@dataclass(frozen=True)
class SetStatus:
    status: str  # lowercased; validity against the lifecycle is checked by the handler


@dataclass(frozen=True)
class SetOwner:
    owner: str  # user name or email, lowercased; "nobody" unassigns


@dataclass(frozen=True)
class SetPriority:
    priority: int  # 0-99


@dataclass(frozen=True)
class SetQueue:
    queue: str  # as written; queue names are matched case-insensitively elsewhere


@dataclass(frozen=True)
class AddTimeWorked:
    minutes: int


@dataclass(frozen=True)
class SetDue:
    due: date


@dataclass(frozen=True)
class Acknowledge:
    """``Ack: yes`` / ``Acknowledge: on it``: acknowledge the ticket's open Nagios problems
    (``hub.ops.commands.AcknowledgeAlert``); any text but yes is the comment Nagios shows."""

    comment: str


@dataclass(frozen=True)
class RunRunbook:
    runbook: str  # "Web.Topic"
    params: tuple[tuple[str, str], ...]  # ordered, unique keys


MailCommand = (
    SetStatus | SetOwner | SetPriority | SetQueue | AddTimeWorked | SetDue | RunRunbook
    | Acknowledge
)

_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z-]*)\s*:\s*(.*?)\s*$")
_DURATION = re.compile(r"^(?:(\d{1,4})\s*h(?:ours?|rs?)?)?\s*(?:(\d{1,5})\s*m(?:in(?:utes?)?)?)?$")
_RUNBOOK = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")
_PARAM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_MINUTES = 7 * 24 * 60


class _BadValue(ValueError):
    """A known keyword with a value that cannot be a command."""


def parse_duration(value: str) -> int:
    """Minutes from ``15``, ``15m``, ``1h``, ``1h30m`` or ``1h 30min``."""
    text = value.strip().lower()
    if text.isdigit():
        minutes = int(text)
    else:
        found = _DURATION.match(text)
        if not text or not found or not (found.group(1) or found.group(2)):
            raise _BadValue(f"{value!r} is not a duration like 15, 15m or 1h30m")
        minutes = int(found.group(1) or 0) * 60 + int(found.group(2) or 0)
    if not 0 < minutes <= _MAX_MINUTES:
        raise _BadValue(f"{value!r} must be between 1 minute and one week")
    return minutes


def _word(value: str, what: str, pattern: str = r"[a-z][a-z_-]{0,39}") -> str:
    text = value.strip().lower()
    if not re.fullmatch(pattern, text):
        raise _BadValue(f"{value!r} is not a valid {what}")
    return text


def _priority(value: str) -> SetPriority:
    if not value.isdigit() or not 0 <= int(value) <= 99:
        raise _BadValue(f"{value!r} is not a priority between 0 and 99")
    return SetPriority(int(value))


def _queue(value: str) -> SetQueue:
    if not value or len(value) > 100 or not re.fullmatch(r"[\w .-]+", value):
        raise _BadValue(f"{value!r} is not a queue name")
    return SetQueue(" ".join(value.split()))


def _due(value: str) -> SetDue:
    try:
        return SetDue(date.fromisoformat(value))
    except ValueError:
        raise _BadValue(f"{value!r} is not a date like 2026-12-01") from None


def _ack(value: str) -> Acknowledge:
    text = " ".join(value.split())
    if text.lower() in ("no", "n", "false", "0", "off"):
        raise _BadValue(f"{value!r}: write 'yes' or a comment to acknowledge")
    if len(text) > 400:
        raise _BadValue("the acknowledgement comment is longer than 400 characters")
    return Acknowledge("" if text.lower() in ("", "yes", "y", "true", "1", "on") else text)


def _run(value: str) -> RunRunbook:
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise _BadValue(f"{value!r}: {exc}") from None
    if not words or not _RUNBOOK.match(words[0]):
        raise _BadValue(f"{value!r} does not start with a runbook like Runbooks.DrainWebNode")
    params: dict[str, str] = {}
    for word in words[1:]:
        key, eq, val = word.partition("=")
        if not eq or not _PARAM_KEY.match(key):
            raise _BadValue(f"{word!r} is not a key=value parameter")
        if key in params:
            raise _BadValue(f"parameter {key!r} given twice")
        params[key] = val
    return RunRunbook(words[0], tuple(params.items()))


_PARSERS: dict[str, Callable[[str], MailCommand]] = {
    "status": lambda v: SetStatus(_word(v, "status")),
    "owner": lambda v: SetOwner(_word(v, "user name or email", r"[\w.+@-]{1,254}")),
    "priority": _priority,
    "queue": _queue,
    "time-worked": lambda v: AddTimeWorked(parse_duration(v)),
    "timeworked": lambda v: AddTimeWorked(parse_duration(v)),
    "due": _due,
    "run": _run,
    "ack": _ack,
    "acknowledge": _ack,
}


def parse_commands(body: str) -> tuple[list[MailCommand], str, list[str]]:
    """Return ``(commands, body_without_commands, errors)`` for the top of ``body``.

    Blank lines before and between commands are allowed. Commands come back in the order
    written; repeating a keyword is left for the handler (the last one normally wins).
    """
    lines = body.replace("\r\n", "\n").split("\n")
    commands: list[MailCommand] = []
    errors: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        found = _LINE.match(line)
        keyword = found.group(1).lower() if found else ""
        if not found or keyword not in _PARSERS:
            break
        try:
            commands.append(_PARSERS[keyword](found.group(2)))
        except _BadValue as exc:
            errors.append(f"line {index + 1}: {found.group(1)}: {exc}; command processing stopped")
            break
        index += 1
    if not commands:
        return [], body, errors
    return commands, "\n".join(lines[index:]), errors


_RUN_LINE = re.compile(r"^\s*run\s*:(.*)$", re.IGNORECASE | re.MULTILINE)


def run_secret_values(body: str, is_secret: Callable[[str], bool]) -> list[str]:
    """Values of secret-named ``key=value`` words on any ``Run:`` line of ``body``.

    Read leniently (a line that is not a valid command still names its secrets), so
    nothing derived from the message (a stored body, an error, a notice) can echo them.
    """
    found: list[str] = []
    for line in _RUN_LINE.finditer(body):
        try:
            words = shlex.split(line.group(1))
        except ValueError:
            words = line.group(1).split()
        for word in words:
            key, eq, value = word.partition("=")
            if eq and value and is_secret(key.strip()):
                found.append(value)
                found.append(value.strip("\"'"))
    return sorted({v for v in found if v}, key=len, reverse=True)
