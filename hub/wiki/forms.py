"""TWiki DataForms: a web's form definition (a table in its ``WebForm`` topic) and values.

A web declares typed fields once; every page of the web may carry values for them,
validated here (pure) before an event records them, shown as a table on the page
and indexed for search.  The table follows TWiki's column names:
``| *Name* | *Type* | *Size* | *Values* | *Tooltip* | *Attributes* |`` where
``Attributes`` containing ``M`` makes a field mandatory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORM_TOPIC = "WebForm"
TYPES = ("text", "textarea", "select", "radio", "checkbox", "number", "date", "label")
_ROW_RE = re.compile(r"^\s*\|(.+)\|\s*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_VALUE = 2000


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str = "text"
    values: tuple[str, ...] = ()
    tooltip: str = ""
    mandatory: bool = False


def _cells(line: str) -> list[str] | None:
    match = _ROW_RE.match(line)
    if match is None:
        return None
    return [c.strip().strip("*").strip() for c in match.group(1).split("|")]


def parse_form(text: str) -> list[FieldDef]:
    """Field definitions from the first table of a form topic (header row required)."""
    header: list[str] | None = None
    fields: list[FieldDef] = []
    for line in text.splitlines():
        cells = _cells(line)
        if cells is None:
            if header is not None and fields:
                break
            continue
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):  # a Markdown separator row
            continue
        row = dict(zip(header, cells, strict=False))
        name = row.get("name", "")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_ ]{0,63}", name):
            continue
        kind = row.get("type", "text").lower().split("+")[0] or "text"
        values = tuple(v.strip() for v in row.get("values", "").split(",") if v.strip())
        fields.append(FieldDef(name=name, type=kind if kind in TYPES else "text", values=values,
                               tooltip=row.get("tooltip", row.get("tooltip message", "")),
                               mandatory="M" in row.get("attributes", "")))
    return fields


class FormError(ValueError):
    """Values that the web's form does not accept; ``errors`` lists each problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def validate(defs: list[FieldDef], values: Mapping[str, Any]) -> dict[str, str]:
    """Clean ``values`` against ``defs``; unknown fields and bad values are errors."""
    known = {d.name: d for d in defs}
    errors = [f"unknown field {name!r}" for name in values if name not in known]
    out: dict[str, str] = {}
    for d in defs:
        raw = values.get(d.name)
        value = "" if raw is None else (", ".join(map(str, raw)) if isinstance(raw, list)
                                        else str(raw)).strip()
        if not value:
            if d.mandatory:
                errors.append(f"{d.name} is required")
            continue
        problem = _check(d, value)
        if problem:
            errors.append(problem)
        else:
            out[d.name] = value
    if errors:
        raise FormError(errors)
    return out


def _check(d: FieldDef, value: str) -> str | None:
    if len(value) > MAX_VALUE:
        return f"{d.name} is longer than {MAX_VALUE} characters"
    if d.type in ("select", "radio") and d.values and value not in d.values:
        return f"{d.name} must be one of {list(d.values)}"
    if d.type == "checkbox" and d.values:
        chosen = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in chosen if v not in d.values]
        if bad:
            return f"{d.name}: {bad} not in {list(d.values)}"
    if d.type == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return f"{d.name} must be a number"
    if d.type == "date" and not _DATE_RE.match(value):
        return f"{d.name} must be a date (YYYY-MM-DD)"
    return None


def page_form(page: Mapping[str, Any]) -> dict[str, Any] | None:
    """A page's DataForm as ``{name, fields: [{name, title, value}]}``, None without one.

    The field order is the stored order (TWiki's ``%META:FIELD%`` order on import) and
    a title falls back to the field's name, so an imported topic shows its labels.
    """
    if not page.get("form") and not page.get("fields"):
        return None
    titles = page.get("field_titles") or {}
    return {"name": page.get("form"),
            "fields": [{"name": k, "title": titles.get(k) or k, "value": v}
                       for k, v in (page.get("fields") or {}).items()]}


def form_rows(defs: list[FieldDef], page: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, value)`` rows to show: the page's own form (imported) or the web's."""
    shown = page_form(page)
    if shown is not None and (shown["name"] or not defs):
        return [(f["title"], str(f["value"])) for f in shown["fields"]]
    titles = page.get("field_titles") or {}
    values = page.get("fields") or {}
    return [(titles.get(d.name) or d.name, str(values.get(d.name, ""))) for d in defs]
