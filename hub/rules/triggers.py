"""What a rule may be ``on``: ticket event types, automation activity kinds, time conditions.

Ticket events are accepted under their stored type name (``TicketCreated``) and under a
dotted form (``ticket.created``, ``ticket.status_changed``, ``ticket.time_worked_recorded``):
the dotted form is the one people write, the type name the one ``hub events tail`` shows.
Activity other features record on a ticket (``sla.warning``, ``sla.breach``, pages) and
the hub's own ``reminder.due`` arrive as ``TicketActivityRecorded`` with that ``kind``;
``ticket.idle`` is a time condition checked by the scheduler.
"""

from __future__ import annotations

import re

from hub.tickets import events as te

TICKET_EVENTS: tuple[str, ...] = tuple(cls.TYPE for cls in (
    te.TicketCreated, te.TicketCorresponded, te.TicketCommented, te.TicketStatusChanged,
    te.TicketOwnerChanged, te.TicketPriorityChanged, te.TicketDueChanged,
    te.TicketSubjectChanged, te.TicketQueueChanged, te.TicketFieldChanged,
    te.TicketWatcherAdded, te.TicketWatcherRemoved, te.TicketLinked, te.TicketUnlinked,
    te.TicketMerged, te.TicketMergeAbsorbed, te.TimeWorkedRecorded, te.TicketDeliveryFailed))

#: Kinds of ``TicketActivityRecorded`` a rule may be on (never ``rule.fired`` itself).
ACTIVITY_KINDS = ("sla.warning", "sla.breach", "reminder.due", "page.triggered",
                  "page.notified", "page.acknowledged", "page.resolved")
ACTIVITY_EVENT = te.TicketActivityRecorded.TYPE
IDLE = "ticket.idle"


def dotted(type_name: str) -> str:
    """``TicketStatusChanged`` -> ``ticket.status_changed``."""
    rest = type_name.removeprefix("Ticket")
    return "ticket." + re.sub(r"(?<!^)(?=[A-Z])", "_", rest).lower()


_BY_DOTTED = {dotted(name): name for name in TICKET_EVENTS}


def normalise_trigger(value: object) -> str | None:
    """The canonical ``on`` (a ticket event type name, an activity kind or ``ticket.idle``),
    or None when ``value`` names nothing a rule can be on."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in TICKET_EVENTS:
        return text
    lowered = text.lower()
    if lowered in _BY_DOTTED:
        return _BY_DOTTED[lowered]
    if lowered in ACTIVITY_KINDS or lowered == IDLE:
        return lowered
    return None


def accepted_triggers() -> list[str]:
    """Every ``on`` value a rule accepts, for error messages and the docs."""
    return sorted(_BY_DOTTED) + list(ACTIVITY_KINDS) + [IDLE]


def trigger_of(event_type: str, kind: str | None) -> str | None:
    """What a stored ticket event triggers: its type, or its activity kind (None: nothing)."""
    if event_type == ACTIVITY_EVENT:
        return kind if kind in ACTIVITY_KINDS else None
    return event_type if event_type in TICKET_EVENTS else None
