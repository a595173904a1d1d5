"""OpenAPI fragments for the wiki and search API, merged into ``hub.openapi.SPEC``.

Kept here (plain dicts, no import of ``hub.openapi``) so the wiki's description lives
with the wiki; ``hub/openapi.py`` adds ``WIKI_PATHS`` to its paths and ``WIKI_SCHEMAS``
to its component schemas.
"""

from __future__ import annotations

from typing import Any

_ERR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{name}"}}}}


def _op(summary: str, ok: str = "200", schema: str | None = None, body: str | None = None,
        query: tuple[str, ...] = (), errors: tuple[str, ...] = ("404",),
        extra_path: tuple[str, ...] = ()) -> dict[str, Any]:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in ("web", "topic", *extra_path)]
    params += [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
               for n in query]
    success = {"description": "success", **(_ref(schema) if schema else {})}
    op: dict[str, Any] = {"summary": summary, "parameters": params, "responses": {
        ok: success, "401": _ERR, **{code: _ERR for code in errors}}}
    if body:
        op["requestBody"] = {"required": True, **_ref(body)}
    return op


WIKI_SCHEMAS: dict[str, Any] = {
    "WikiPage": {"type": "object", "required": ["web", "topic", "revision", "text", "html",
                                                "author", "at"], "properties": {
        "web": {"type": "string"}, "topic": {"type": "string"},
        "revision": {"type": "integer"}, "text": {"type": "string"},
        "html": {"type": "string", "description": "sanitised rendering"},
        "author": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
        "original_at": {"type": "string", "nullable": True},
        "summary": {"type": "string"}, "title": {"type": "string"},
        "parent": {"type": "string", "nullable": True}, "fields": {"type": "object"},
        "form": {"type": "object", "nullable": True, "description":
                 "DataForm {name, fields: [{name, title, value}]}"},
        "moved": {"type": "object", "nullable": True, "description":
                  "last move before import {from, to, by, at}"},
        "errors": {"type": "array", "items": {"type": "string"}}}},
    "WikiSave": {"type": "object", "required": ["text", "base_revision"], "properties": {
        "text": {"type": "string"},
        "base_revision": {"type": "integer", "minimum": 0, "description": "0 creates"},
        "summary": {"type": "string"}, "parent": {"type": "string"},
        "fields": {"type": "object"},
        "merge": {"type": "boolean", "description": "apply a clean three-way merge"}}},
    "WikiConflict": {"type": "object", "properties": {
        "error": {"type": "string"}, "current_revision": {"type": "integer"},
        "base_revision": {"type": "integer"}, "clean": {"type": "boolean"},
        "merged_text": {"type": "string"}, "conflict_text": {"type": "string"},
        "conflicts": {"type": "array", "items": {"type": "object"}},
        "editing": {"type": "array", "items": {"type": "object"}}}},
    "WikiHistory": {"type": "object", "properties": {
        "revisions": {"type": "array", "items": {"type": "object", "properties": {
            "revision": {"type": "integer"}, "author": {"type": "string"},
            "at": {"type": "string"}, "original_at": {"type": "string", "nullable": True},
            "summary": {"type": "string"}, "kind": {"type": "string"}}}}}},
    "WikiDiff": {"type": "object", "properties": {
        "from": {"type": "integer"}, "to": {"type": "integer"}, "unified": {"type": "string"},
        "side_by_side": {"type": "array", "items": {"type": "object"}}}},
}

_PAGE = "/api/v1/wiki/{web}/{topic}"
_put = _op("save a revision (201 created, 200 updated)", schema="WikiPage", body="WikiSave",
           errors=("400", "403", "404", "422"))
_put["responses"]["201"] = {"description": "created", **_ref("WikiPage")}
_put["responses"]["409"] = {"description": "stale base_revision: three-way merge offered",
                            **_ref("WikiConflict")}

WIKI_PATHS: dict[str, Any] = {
    _PAGE: {"get": _op("read a topic with its sanitised HTML", schema="WikiPage",
                       query=("rev",)), "put": _put},
    f"{_PAGE}/history": {"get": _op("revisions, newest first", schema="WikiHistory")},
    f"{_PAGE}/diff": {"get": _op("diff of two revisions (unified and side by side)",
                                 schema="WikiDiff", query=("from", "to"),
                                 errors=("400", "404"))},
    f"{_PAGE}/restore": {"post": _op("restore an old revision as a new one",
                                     schema="WikiPage", errors=("400", "403", "404", "422"))},
    f"{_PAGE}/rename": {"post": _op("rename and rewrite links in referring topics",
                                    schema="WikiPage",
                                    errors=("400", "403", "404", "409", "422"))},
    f"{_PAGE}/backlinks": {"get": _op("topics linking here")},
    f"{_PAGE}/tree": {"get": _op("breadcrumbs and children")},
    f"{_PAGE}/lease": {"post": _op("announce editing; returns the other editors")},
    f"{_PAGE}/attachments": {"get": _op("attachments with their versions (hidden ones "
                                        "with hidden=1)", query=("hidden",))},
    f"{_PAGE}/attachments/{{name}}": {
        "get": _op("download an attachment", query=("version",), extra_path=("name",)),
        "put": _op("upload a new version (raw body)", "201", extra_path=("name",),
                   errors=("400", "403", "404", "413", "422"))},
}
