"""A rule's definition, checked and normalised before any event records it.

Every refusal is a ValidationError (422) naming the field (``on``, ``if.status``,
``do[1].to``, ``template``), so an admin sees at once which line of the rule is wrong.
The normalised form keeps lists where one or several values are allowed, so the
engine never has to ask which shape it was given.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hub.domain import ValidationError
from hub.durations import DurationError, format_duration, parse_duration
from hub.rules import triggers
from hub.rules.templating import TemplateRejectedError, check_template

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TOP_KEYS = {"name", "on", "for", "if", "do", "template", "enabled", "order", "description"}
LIST_CONDITIONS = ("queue", "status", "owner", "requestor_domain", "source", "event_source",
                   "actor")
TEXT_CONDITIONS = ("subject_contains", "text_contains")
CONDITIONS = (*LIST_CONDITIONS, *TEXT_CONDITIONS, "priority_at_least", "cf")
ACTORS = ("staff", "customer", "system")
CHANNELS = ("mail", "webhook", "xmpp", "sms")
ROLES = ("requestors", "owner", "admincc", "cc", "watchers")
TARGET_PREFIXES = ("user:", "group:", "schedule:", "policy:")
MAX_ACTIONS = 10
ACTION_KEYS: dict[str, set[str]] = {
    "notify": {"to", "via", "subject", "template"},
    "set": {"status", "priority", "owner", "fields", "due"},
    "comment": {"template"},
    "correspond": {"template"},
    "escalate": {"priority", "queue", "owner"},
    "webhook": {"url", "template"},
    "page": {"policy", "target", "reason"},
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _fail(field: str, message: str, **details: Any) -> ValidationError:
    return ValidationError(f"{field}: {message}", field=field, **details)


def _text(value: Any, field: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _fail(field, f"must be non-empty text of at most {limit} characters")
    return value.strip()


def _texts(value: Any, field: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > 50:
        raise _fail(field, "must be a value or a list of 1 to 50 values")
    return [_text(item, field) for item in items]


def _template(value: Any, field: str) -> str:
    try:
        return check_template(value)
    except TemplateRejectedError as exc:
        raise _fail(field, str(exc)) from exc


def _priority(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
        raise _fail(field, "must be a whole number from 0 to 99")
    return value


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise _fail("name", "1 to 64 letters, digits, '.', '_' or '-', starting with a "
                            "letter or digit")
    return value


def _conditions(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail("if", "must be an object of conditions")
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = f"if.{key}"
        if key in LIST_CONDITIONS:
            values = [v.lower() for v in _texts(item, field)]
            if key == "actor" and set(values) - set(ACTORS):
                raise _fail(field, f"is one of {', '.join(ACTORS)}")
            if key == "requestor_domain":
                values = [v.lstrip("@") for v in values]
            out[key] = values
        elif key in TEXT_CONDITIONS:
            out[key] = _text(item, field, 500)
        elif key == "priority_at_least":
            out[key] = _priority(item, field)
        elif key == "cf":
            out[key] = _custom_fields(item, field)
        else:
            raise _fail(field, "unknown condition", allowed=list(CONDITIONS))
    return out


def _custom_fields(value: Any, field: str) -> dict[str, list[str | None]]:
    if not isinstance(value, dict) or not value:
        raise _fail(field, "must be an object of field name: value (or list of values)")
    out: dict[str, list[str | None]] = {}
    for name, wanted in value.items():
        items = wanted if isinstance(wanted, list) else [wanted]
        if not items or any((v is not None and not isinstance(v, str | int | float))
                            or isinstance(v, bool) for v in items):
            raise _fail(f"{field}.{name}", "must be a value, null (empty) or a list of them")
        out[str(name)] = [None if v is None else str(v) for v in items]
    return out


def _target(value: str, field: str) -> str:
    if value in ROLES or EMAIL.match(value):
        return value
    for prefix in TARGET_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix):
            return value
    raise _fail(field, f"{value!r} is not a role ({', '.join(ROLES)}), user:NAME, group:NAME, "
                       "schedule:NAME, policy:NAME or an email address")


def _due(value: Any, field: str) -> str | None:
    if value is None:
        return None
    try:
        return format_duration(parse_duration(value))
    except DurationError:
        pass
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise _fail(field, "is a duration from now (2d) or an ISO 8601 time") from exc
    return str(value)


def _action(value: Any, index: int, has_template: bool) -> dict[str, Any]:
    base = f"do[{index}]"
    if not isinstance(value, dict):
        raise _fail(base, "an action is an object with an 'action' key")
    kind = value.get("action")
    if kind not in ACTION_KEYS:
        raise _fail(f"{base}.action", "unknown action", allowed=sorted(ACTION_KEYS))
    unknown = sorted(set(value) - ACTION_KEYS[kind] - {"action"})
    if unknown:
        raise _fail(f"{base}.{unknown[0]}", f"not a setting of action {kind}",
                    allowed=sorted(ACTION_KEYS[kind]))
    out: dict[str, Any] = {"action": kind}
    if "template" in value:
        out["template"] = _template(value["template"], f"{base}.template")
    if kind in ("comment", "correspond") and "template" not in out and not has_template:
        raise _fail(f"{base}.template", f"{kind} needs a template (here or the rule's)")
    if kind == "notify":
        out["to"] = [_target(t, f"{base}.to") for t in _texts(value.get("to"), f"{base}.to")]
        via = [v.lower() for v in _texts(value.get("via", "mail"), f"{base}.via")]
        if set(via) - set(CHANNELS):
            raise _fail(f"{base}.via", f"channels are {', '.join(CHANNELS)}")
        out["via"] = via
        if "subject" in value:
            out["subject"] = _template(value["subject"], f"{base}.subject")
    elif kind == "webhook":
        url = _text(value.get("url"), f"{base}.url", 2000)
        if not re.match(r"^https?://[^\s/]+", url):
            raise _fail(f"{base}.url", "must be an http:// or https:// URL")
        out["url"] = url
    elif kind == "page":
        if not value.get("policy") and not value.get("target"):
            raise _fail(f"{base}.policy", "page needs a policy or a target")
        for key in ("policy", "target", "reason"):
            if value.get(key) is not None:
                out[key] = _text(value[key], f"{base}.{key}", 500)
    elif kind in ("set", "escalate"):
        out.update(_changes(value, kind, base))
    return out


def _changes(value: dict[str, Any], kind: str, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "status" in value:
        out["status"] = _text(value["status"], f"{base}.status", 32).lower()
    if "queue" in value:
        out["queue"] = _text(value["queue"], f"{base}.queue", 64)
    if "owner" in value:
        owner = value["owner"]
        out["owner"] = None if owner is None or str(owner).lower() == "nobody" else _text(
            owner, f"{base}.owner", 100)
    if "priority" in value:
        raw = value["priority"]
        if kind == "escalate" and isinstance(raw, str) and re.fullmatch(r"[+-][0-9]{1,2}", raw):
            out["priority"] = raw
        else:
            out["priority"] = _priority(raw, f"{base}.priority")
    if "fields" in value:
        if not isinstance(value["fields"], dict) or not value["fields"]:
            raise _fail(f"{base}.fields", "must be an object of field name: value")
        out["fields"] = dict(value["fields"])
    if "due" in value:
        out["due"] = _due(value["due"], f"{base}.due")
    if not out:
        raise _fail(base, f"{kind} needs at least one of {sorted(ACTION_KEYS[kind])}")
    return out


def normalise(body: Any, *, name: str | None = None) -> dict[str, Any]:
    """The rule ``body`` checked and in canonical form; ``name`` overrides the body's."""
    if not isinstance(body, dict):
        raise ValidationError("a rule is a JSON object")
    unknown = sorted(set(body) - TOP_KEYS)
    if unknown:
        raise _fail(unknown[0], "unknown rule setting", allowed=sorted(TOP_KEYS))
    rule_name = check_name(name if name is not None else body.get("name"))
    if name is not None and body.get("name") not in (None, name):
        raise _fail("name", "the name in the body differs from the one in the path")
    on = triggers.normalise_trigger(body.get("on"))
    if on is None:
        raise _fail("on", "unknown event type or time condition",
                    allowed=triggers.accepted_triggers())
    out: dict[str, Any] = {"name": rule_name, "on": on}
    if on == triggers.IDLE:
        try:
            out["for"] = format_duration(parse_duration(body.get("for")))
        except DurationError as exc:
            raise _fail("for", f"ticket.idle needs 'for' (e.g. 3d): {exc}") from exc
    elif "for" in body:
        raise _fail("for", "only ticket.idle rules take 'for'")
    out["if"] = _conditions(body.get("if"))
    if "template" in body and body["template"] is not None:
        out["template"] = _template(body["template"], "template")
    actions = body.get("do")
    if not isinstance(actions, list) or not 1 <= len(actions) <= MAX_ACTIONS:
        raise _fail("do", f"must be a list of 1 to {MAX_ACTIONS} actions")
    out["do"] = [_action(a, i, "template" in out) for i, a in enumerate(actions)]
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise _fail("enabled", "must be true or false")
    out["enabled"] = enabled
    order = body.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 100_000:
        raise _fail("order", "must be a whole number from 0 to 100000 (lower runs first)")
    out["order"] = order
    if body.get("description") is not None:
        out["description"] = _text(body["description"], "description", 500)
    return out


def merged(current: dict[str, Any], patch: Any) -> dict[str, Any]:
    """``current`` with the top-level settings of ``patch`` replaced (PATCH semantics)."""
    if not isinstance(patch, dict):
        raise ValidationError("a rule change is a JSON object")
    out = {**current, **patch}
    moved_off_idle = "on" in patch and triggers.normalise_trigger(patch["on"]) != triggers.IDLE
    if moved_off_idle and "for" not in patch:
        out.pop("for", None)
    return out
