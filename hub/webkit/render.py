"""Turn history entries into what the ticket page shows: a sentence, a body, files.

Mail HTML (``html`` in the event data, or a body of type text/html) is passed
through ``hub.sanitize.clean_html`` here, the only place the page marks text as
safe; everything else reaches the template as plain text and is escaped there.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from hub.sanitize import clean_html

PRIVATE = frozenset({"TicketCommented", "TimeWorkedRecorded", "TicketDeliveryFailed",
                     "TicketActivityRecorded"})
SOURCES = {"web": "the web", "api": "the API", "email": "email", "alert": "an alert",
           "runbook": "a runbook", "scheduler": "the scheduler", "cli": "the command line",
           "system": "the system"}


#: How each value reads when there is none: RT's "Nobody" for owners, never "nothing"
#: (and 0 is a priority like any other, not a missing one).
EMPTY = {"Owner": "Nobody", "Due": "(not set)", "Subject": "(empty)"}


def _shown(value: Any, unset: str, label: str = "") -> str:
    """A value as a history sentence shows it: ``0`` stays ``0``; None or "" is ``unset``."""
    if value is None or value == "" or value == []:
        return unset
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if label == "Due" and isinstance(value, str):
        return value.removesuffix("T00:00:00").replace("T", " ")[:16]
    return str(value)


def _sentence(kind: str, d: dict[str, Any]) -> str:
    if kind == "TicketCreated":
        return f"Ticket created in {d.get('queue')} with status {d.get('status')}"
    if kind == "TicketCorresponded":
        return "Reply"
    if kind == "TicketCommented":
        return "Comment (private)"
    simple = {
        "TicketStatusChanged": ("Status", "old", "new"),
        "TicketOwnerChanged": ("Owner", "old", "new"),
        "TicketPriorityChanged": ("Priority", "old", "new"),
        "TicketDueChanged": ("Due", "old", "new"),
        "TicketSubjectChanged": ("Subject", "old", "new"),
        "TicketQueueChanged": ("Queue", "old", "new"),
    }
    if kind in simple:
        label, old, new = simple[kind]
        unset = EMPTY.get(label, "(none)")
        return (f"{label} changed from {_shown(d.get(old), unset, label)} "
                f"to {_shown(d.get(new), unset, label)}")
    if kind == "TicketFieldChanged":
        return (f"{d.get('name')} changed from {_shown(d.get('old'), '(not set)')} "
                f"to {_shown(d.get('new'), '(not set)')}")
    if kind in ("TicketWatcherAdded", "TicketWatcherRemoved"):
        verb = "added as" if kind.endswith("Added") else "removed from"
        return f"{d.get('address')} {verb} {d.get('role')}"
    if kind in ("TicketLinked", "TicketUnlinked"):
        verb = "Linked" if kind == "TicketLinked" else "Unlinked"
        return f"{verb}: {str(d.get('kind', '')).replace('_', ' ')} #{d.get('target')}"
    if kind == "TicketMerged":
        return f"Merged into #{d.get('into')}"
    if kind == "TicketMergeAbsorbed":
        return f"Ticket #{d.get('source')} merged into this one"
    if kind == "TimeWorkedRecorded":
        return f"{d.get('user')} worked {d.get('minutes')} minutes"
    if kind == "TicketDeliveryFailed":
        return f"Mail to {d.get('recipient')} failed ({d.get('status')})"
    if kind == "TicketActivityRecorded":
        return str(d.get("summary") or d.get("kind"))
    return kind


def describe(event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]
    html: Markup | None = None
    if isinstance(data.get("html"), str) and data["html"].strip():
        html = Markup(clean_html(data["html"]))  # noqa: S704 (sanitised just now)
    elif data.get("content_type") == "text/html" and isinstance(data.get("body"), str):
        html = Markup(clean_html(data["body"]))  # noqa: S704 (sanitised just now)
    body = data.get("body") if isinstance(data.get("body"), str) and html is None else None
    files = [a for a in data.get("attachments") or () if isinstance(a, dict) and "sha256" in a]
    return {
        **event, "summary": _sentence(event["type"], data), "body": body, "html": html,
        "attachments": files, "private": event["type"] in PRIVATE,
        "via": SOURCES.get(str(event.get("source")), str(event.get("source"))),
    }
