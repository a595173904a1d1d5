"""Turn mail instructions (``Status: resolved`` ...) into other features' bus commands.

Parsing lives in :mod:`hub.mail.instructions`; the decision *whether* they may be
applied is made by the pipeline (a staff user at their own signed reply address, with a
trusted relay's pass when required: :mod:`hub.mail.authentication`); the rights
themselves are checked by the ticket and runbook handlers like for any other
entrypoint.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from hub.accounts.queries import user_by_email
from hub.actors import Actor
from hub.bootstrap import Hub
from hub.domain import DomainError
from hub.mail.instructions import (
    Acknowledge,
    AddTimeWorked,
    MailCommand,
    SetDue,
    SetOwner,
    SetPriority,
    SetQueue,
    SetStatus,
    run_secret_values,
)
from hub.ops.commands import AcknowledgeAlert
from hub.runbooks.commands import StartRun
from hub.runbooks.queries import is_secret_param, mask_secrets
from hub.tickets.commands import RecordTime, UpdateTicket

_RUN_LINE = re.compile(r"^\s*run\s*:", re.IGNORECASE)


class RunMask:
    """Hides the secrets named on a message's ``Run:`` lines in whatever we derive."""

    def __init__(self, text: str) -> None:
        self.secrets = run_secret_values(text, is_secret_param)

    def __call__(self, text: str) -> str:
        if not self.secrets:
            return text
        return mask_secrets(text, self.secrets)

    def body(self, text: str) -> str:
        """Only the secret values (and the ``Run:`` lines' pairs): the rest stays as written."""
        if not self.secrets:
            return text
        lines = text.split("\n")
        for index, line in enumerate(lines):
            if _RUN_LINE.match(line):
                lines[index] = mask_secrets(line, self.secrets)
            else:
                for value in self.secrets:
                    if len(value) >= 3:
                        line = line.replace(value, "********")
                lines[index] = line
        return "\n".join(lines)


def _owner_name(hub: Hub, value: str) -> str | None:
    """``nobody`` unassigns; an address names the user who has it (else it is kept)."""
    if value == "nobody":
        return None
    if "@" not in value:
        return value
    with hub.engine.connect() as conn:
        user = user_by_email(conn, value)
    return user.name if user is not None else value


def to_bus_command(hub: Hub, ticket_id: int, cmd: MailCommand) -> Any:
    if isinstance(cmd, SetStatus):
        return UpdateTicket(ticket_id=ticket_id, status=cmd.status)
    if isinstance(cmd, SetOwner):
        return UpdateTicket(ticket_id=ticket_id, owner=_owner_name(hub, cmd.owner),
                            owner_set=True)
    if isinstance(cmd, SetPriority):
        return UpdateTicket(ticket_id=ticket_id, priority=cmd.priority)
    if isinstance(cmd, SetQueue):
        return UpdateTicket(ticket_id=ticket_id, queue=cmd.queue)
    if isinstance(cmd, AddTimeWorked):
        return RecordTime(ticket_id=ticket_id, minutes=cmd.minutes)
    if isinstance(cmd, SetDue):
        return UpdateTicket(ticket_id=ticket_id, due=cmd.due.isoformat(), due_set=True)
    if isinstance(cmd, Acknowledge):  # ops checks ModifyTicket, as for the web button
        return AcknowledgeAlert(ticket_id=ticket_id, comment=cmd.comment)
    return StartRun(runbook=cmd.runbook, params=dict(cmd.params), ticket_id=ticket_id)


def _describe(cmd: MailCommand) -> str:
    values = ", ".join(f"{f.name}={getattr(cmd, f.name)!r}" for f in dataclasses.fields(cmd))
    return f"{type(cmd).__name__}({values})"


def apply_commands(hub: Hub, ticket_id: int, commands: list[MailCommand], actor: Actor,
                   key: str) -> tuple[list[str], list[str]]:
    """Apply each command in order; returns ``(applied, errors)`` as readable lines."""
    applied: list[str] = []
    errors: list[str] = []
    for index, cmd in enumerate(commands):
        try:
            bus_command = to_bus_command(hub, ticket_id, cmd)
            hub.bus.handle(bus_command, actor, idempotency_key=f"mail:{key}:cmd{index}")
        except DomainError as exc:
            errors.append(f"{_describe(cmd)}: {exc.message}")
        except KeyError:  # the command type has no handler registered
            errors.append(f"{_describe(cmd)}: not supported by this hub")
        else:
            applied.append(_describe(cmd))
    return applied, errors
