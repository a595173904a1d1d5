"""Commands at the top of a mail body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from hub.mail.instructions import (
    AddTimeWorked,
    RunRunbook,
    SetDue,
    SetOwner,
    SetPriority,
    SetQueue,
    SetStatus,
    parse_commands,
    parse_duration,
)
from hub.mail.parsing import ParsedMail


def test_fixture_commands(parsed: Callable[[str], ParsedMail]) -> None:
    commands, body, errors = parse_commands(parsed("commands.eml").text)
    assert commands == [
        SetStatus("resolved"),
        SetOwner("alice"),
        SetPriority(80),
        AddTimeWorked(90),
        SetDue(date(2026, 12, 1)),
        RunRunbook("Runbooks.DrainWebNode", (("node", "web2"), ("reason", "disk full"))),
    ]
    assert body == "Cleaned up the WAL archive and drained web2 while at it.\n\nOlga\n"
    assert errors == []


def test_stops_at_first_non_command() -> None:
    text = "status: Open\nHi Bob,\nQueue: Network\n"
    commands, body, errors = parse_commands(text)
    assert commands == [SetStatus("open")]
    assert body == "Hi Bob,\nQueue: Network\n"
    assert errors == []


def test_unknown_keyword_is_body() -> None:
    text = "Note: the server is down\nStatus: resolved\n"
    assert parse_commands(text) == ([], text, [])


def test_no_commands_returns_body_unchanged() -> None:
    text = "\n\nHello,\n\nplease help.\n"
    assert parse_commands(text) == ([], text, [])


def test_queue_with_spaces_and_crlf() -> None:
    commands, body, errors = parse_commands("Queue:  Network   Ops \r\n\r\nbody\r\n")
    assert commands == [SetQueue("Network Ops")] and errors == []
    assert body == "body\n"


def test_bad_value_keeps_line_and_reports() -> None:
    text = "Status: resolved\nPriority: urgent\nOwner: bob\n\ntext"
    commands, body, errors = parse_commands(text)
    assert commands == [SetStatus("resolved")]
    assert body == "Priority: urgent\nOwner: bob\n\ntext"
    assert errors == [
        "line 2: Priority: 'urgent' is not a priority between 0 and 99; command processing stopped"
    ]


def test_bad_first_command_keeps_whole_body() -> None:
    text = "Status: the server is down again\nplease look"
    commands, body, errors = parse_commands(text)
    assert (commands, body) == ([], text)
    assert len(errors) == 1 and "not a valid status" in errors[0]


@pytest.mark.parametrize(
    ("line", "error_part"),
    [
        ("Priority: 100", "between 0 and 99"),
        ("Due: 2026-13-01", "not a date"),
        ("Time-Worked: 0", "between 1 minute"),
        ("Time-Worked: soon", "not a duration"),
        ("Run: drain web2", "does not start with a runbook"),
        ("Run: Runbooks.Drain node", "not a key=value"),
        ("Run: Runbooks.Drain a=1 a=2", "given twice"),
        ('Run: Runbooks.Drain msg="unbalanced', "No closing quotation"),
        ("Owner: bob smith", "not a valid user name"),
    ],
)
def test_value_errors(line: str, error_part: str) -> None:
    commands, body, errors = parse_commands(line + "\nrest")
    assert commands == [] and body == line + "\nrest"
    assert error_part in errors[0]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("15", 15), ("15m", 15), ("1h30m", 90), ("1h 30min", 90), ("2h", 120), ("45 minutes", 45)],
)
def test_parse_duration(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


def test_owner_email_and_run_without_params() -> None:
    commands, _, errors = parse_commands("Owner: Alice@Example.org\nRun: Ops.Restart\n")
    assert commands == [SetOwner("alice@example.org"), RunRunbook("Ops.Restart", ())]
    assert errors == []


def test_ack_lines_become_acknowledge_commands() -> None:
    from hub.mail.instructions import Acknowledge

    commands, rest, errors = parse_commands("Ack: yes\n\nthanks")
    assert commands == [Acknowledge("")] and rest.strip() == "thanks" and not errors
    commands, _, _ = parse_commands("Acknowledge:   disk  replaced\n")
    assert commands == [Acknowledge("disk replaced")]
    commands, _, errors = parse_commands("Ack: no\n")
    assert commands == [] and "write 'yes'" in errors[0]
