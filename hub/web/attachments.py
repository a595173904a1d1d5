"""Uploads into the blob store and rights-checked, inert downloads.

Bytes go to the content-addressed BlobStore before any event refers to them;
events carry ``{sha256, filename, content_type, size}``. A download is always
``Content-Disposition: attachment`` with a content type from a short allow-list
(anything else is ``application/octet-stream``) and a sandboxing CSP, so an
uploaded HTML or SVG file can never run script on our origin.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Response
from werkzeug.datastructures import FileStorage

from hub.attachments import SHA256, Blobs
from hub.attachments import blob_store as hub_blobs
from hub.domain import NotFoundError, ValidationError

if TYPE_CHECKING:
    from hub.bootstrap import Hub

MAX_FILES = 10
SAFE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                        "application/pdf", "text/plain", "text/csv", "application/zip",
                        "application/gzip", "application/json"})
_UNSAFE_NAME = re.compile(r"[^\w .()+@-]+", re.UNICODE)


def blob_store(hub: Hub) -> Blobs:
    return hub_blobs(hub)


def safe_filename(raw: str | None) -> str:
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("_", name).strip(" .")[:200]
    return name or "attachment"


def store_uploads(hub: Hub, files: list[FileStorage]) -> list[dict[str, Any]]:
    """Store the uploaded files durably and return their event descriptions."""
    chosen = [f for f in files if f and f.filename]
    if len(chosen) > MAX_FILES:
        raise ValidationError(f"at most {MAX_FILES} attachments per message")
    store = blob_store(hub)
    out = []
    for upload in chosen:
        data = upload.read()
        out.append({"sha256": store.put(data), "filename": safe_filename(upload.filename),
                    "content_type": (upload.mimetype or "application/octet-stream")[:100],
                    "size": len(data)})
    return out


def find_attachment(events: list[dict[str, Any]], sha256: str) -> dict[str, Any] | None:
    """The description of ``sha256`` in events the viewer was allowed to see."""
    if not SHA256.match(sha256):
        return None
    for event in events:
        for item in event["data"].get("attachments") or ():
            if isinstance(item, dict) and item.get("sha256") == sha256:
                return item
    return None


def attachment_response(hub: Hub, meta: dict[str, Any]) -> Response:
    store = blob_store(hub)
    digest = str(meta["sha256"])
    if not store.exists(digest):
        raise NotFoundError("the attachment's content is missing")
    declared = str(meta.get("content_type", "")).split(";")[0].strip().lower()
    kind = declared if declared in SAFE_TYPES else "application/octet-stream"
    if kind.startswith("text/"):
        kind += "; charset=utf-8"
    name = safe_filename(str(meta.get("filename", "")))
    response = Response(store.get(digest), mimetype=kind.split(";")[0])
    response.headers["Content-Type"] = kind
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{name.encode('ascii', 'replace').decode()}\"; "
        f"filename*=UTF-8''{quote(name)}")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
