"""Helpers shared by the wiki's JSON API and web pages (no rules live here)."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from flask import Response

from hub.actors import Actor
from hub.bootstrap import Hub
from hub.wiki.access import Access
from hub.wiki.forms import page_form
from hub.wiki.queries import view_page
from hub.wiki.rendering import render_page

SAFE_INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def page_document(hub: Hub, conn: sa.Connection, viewer: Actor, web: str, topic: str,
                  revision: int | None = None) -> dict[str, Any]:
    """The API's page object: the contract's keys first, then extras."""
    access = Access(conn, viewer)
    page = view_page(conn, viewer, web, topic, revision, access=access)
    rendered = render_page(hub, conn, viewer, web, topic, page["text"], access=access)
    return {"web": web, "topic": topic, "revision": page["revision"], "text": page["text"],
            "html": rendered.html, "author": page["author"], "at": page["at"],
            "original_at": page["original_at"], "summary": page["summary"],
            "title": page["title"], "parent": page["parent"], "fields": page["fields"],
            "form": page_form(page), "moved": page["moved"], "errors": rendered.errors}


def blob_response(data: bytes, name: str, content_type: str) -> Response:
    """Serve an attachment without letting it run as part of the site.

    Only a few image types are shown inline; everything else is a download of type
    ``application/octet-stream`` in a sandbox, so an uploaded HTML or SVG file can
    never execute script in the hub's origin.
    """
    inline = content_type in SAFE_INLINE_TYPES
    response = Response(data, mimetype=content_type if inline else "application/octet-stream")
    safe_name = "".join(ch for ch in name if ch.isalnum() or ch in "._- +") or "attachment"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{safe_name}"'
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    return response
