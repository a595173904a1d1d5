"""Search documents built from events (tickets) and from the wiki read model (pages).

A ticket document is folded from the ticket's events, so it can hold what the read
model does not (comments, kept in the staff-only ``private`` field).  The last applied
event position is kept in the document so a replayed batch changes nothing.  A page
document is the page's current state, read through ``hub.wiki.queries`` when any of
its events is seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.wiki.queries import page_for_index

MAX_BODY = 200_000
ROLES = ("requestors", "cc")


def ticket_key(ticket_id: int | str) -> str:
    return f"ticket:{ticket_id}"


def page_key(web: str, topic: str) -> str:
    return f"page:{web}.{topic}"


def _join(a: str, b: str) -> str:
    joined = f"{a}\n{b}" if a else b
    return joined[-MAX_BODY:]


def new_ticket(event: StoredEvent) -> dict[str, Any]:
    d = event.data
    ticket_id = int(event.stream_id.split("-", 1)[1])
    return {"key": ticket_key(ticket_id), "kind": "ticket", "ref": ticket_id,
            "title": d["subject"], "body": d.get("body", "")[:MAX_BODY], "private": "",
            "queue": d["queue"], "status": d["status"], "owner": d.get("owner") or "",
            "author": ",".join(sorted({event.meta.get("actor", ""), *d.get("requestors", [])})),
            "state": {"pos": event.position, "fields": dict(d.get("fields", {})),
                      "watchers": {r: list(d.get(r, [])) for r in ROLES}}}


def fold_ticket(doc: dict[str, Any] | None, event: StoredEvent) -> dict[str, Any] | None:
    """Apply one ticket event; None means "no document" (unknown or merged away)."""
    if event.type == "TicketCreated":
        return new_ticket(event)
    if doc is None or event.position <= doc["state"]["pos"]:
        return doc
    d, state = event.data, doc["state"]
    state["pos"] = event.position
    kind = event.type
    if kind == "TicketMerged":
        return None
    if kind == "TicketCorresponded":
        doc["body"] = _join(doc["body"], d.get("body", ""))
        authors = set(filter(None, doc["author"].split(",")))
        doc["author"] = ",".join(sorted(authors | {event.meta.get("actor", "")}))
    elif kind == "TicketCommented":
        doc["private"] = _join(doc["private"], d.get("body", ""))
    elif kind in ("TicketStatusChanged", "TicketOwnerChanged", "TicketSubjectChanged"):
        attr = {"TicketStatusChanged": "status", "TicketOwnerChanged": "owner",
                "TicketSubjectChanged": "title"}[kind]
        doc[attr] = d["new"] or ""
    elif kind == "TicketQueueChanged":
        doc["queue"], doc["status"], state["fields"] = d["new"], d["status"], dict(d["fields"])
    elif kind == "TicketFieldChanged":
        if d["new"] is None:
            state["fields"].pop(d["name"], None)
        else:
            state["fields"][d["name"]] = d["new"]
    elif kind in ("TicketWatcherAdded", "TicketWatcherRemoved") and d["role"] in ROLES:
        people = state["watchers"].setdefault(d["role"], [])
        if kind == "TicketWatcherAdded" and d["address"] not in people:
            people.append(d["address"])
        elif kind == "TicketWatcherRemoved" and d["address"] in people:
            people.remove(d["address"])
    return doc


def ticket_fields_for_index(doc: dict[str, Any], internal: frozenset[str]) -> dict[str, Any]:
    """The document as written: fields split into public and staff-only text."""
    state = doc["state"]
    fields = state["fields"]
    readers = {a for r in ROLES for a in state["watchers"].get(r, [])}
    return {**doc,
            "fields": "\n".join(f"{k}: {_flat(v)}" for k, v in fields.items()
                                if k not in internal),
            "ifields": "\n".join(f"{k}: {_flat(v)}" for k, v in fields.items() if k in internal),
            "readers": ",".join(sorted(readers))}


def _flat(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def page_doc(conn: sa.Connection, web: str, topic: str) -> dict[str, Any] | None:
    page = page_for_index(conn, web, topic)
    if page is None:
        return None
    return {"key": page_key(web, topic), "kind": "page", "ref": f"{web}.{topic}",
            "title": page.title, "body": page.text[:MAX_BODY], "private": "",
            "fields": "\n".join(f"{k}: {v}" for k, v in page.fields.items()),
            "ifields": "", "attachments": "\n".join(page.attachment_names), "web": web,
            "topic": topic, "author": ",".join(page.authors), "readers": "",
            "tviewers": ",".join(page.topic_viewers),
            "state": {"acl": dict(page.acl), "revision": page.revision}}


def page_keys_of(event: StoredEvent) -> Iterable[tuple[str, str]]:
    web, _, topic = event.stream_id.split("-", 1)[1].partition(".")
    yield web, topic
    if event.type == "PageRenamed":
        yield event.data["to_web"], event.data["to_topic"]
