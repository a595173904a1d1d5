"""PagerDuty Events API v2 shaped events (``POST /api/v1/events``).

Many tools (Grafana, Zabbix media, Sentry, custom scripts) can already speak this
shape, so accepting it gives them a route into the hub without a new integration.
Validation follows PagerDuty's rules so that a payload which works here also works
there and vice versa: summary, source and severity are required on ``trigger``, the
summary is at most 1024 characters, and ``acknowledge``/``resolve`` need a dedup key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.ops.alerts._fields import opt_str, parse_time, req_str, require_mapping, stable_hash
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

ACTIONS = {"trigger": "problem", "acknowledge": "acknowledgement", "resolve": "recovery"}
PD_SEVERITIES = {"critical": "critical", "error": "critical", "warning": "warning", "info": "info"}
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
_TITLE_LIMIT = 200


def parse_events_v2(doc: Mapping[str, Any]) -> AlertSignal:
    """Normalise one event; ``dedup_key`` names the alert across trigger/ack/resolve.

    A trigger without ``dedup_key`` gets one derived from summary and source, so a
    script that re-sends the same trigger does not open a second ticket (PagerDuty
    itself would mint a random key; we prefer idempotence).
    """
    body = require_mapping(doc, "event")
    action = req_str(body, "event_action", "event").lower()
    kind = ACTIONS.get(action)
    if kind is None:
        raise AlertPayloadError(
            f"event_action must be one of {sorted(ACTIONS)}, got {action!r}",
            field_name="event_action",
        )
    routing_key = opt_str(body, "routing_key")
    payload = _payload(body, action)
    summary = opt_str(payload, "summary")
    source = opt_str(payload, "source")
    dedup_key = opt_str(body, "dedup_key")
    if not dedup_key:
        if action != "trigger":
            raise AlertPayloadError(f"dedup_key is required for {action}", field_name="dedup_key")
        dedup_key = "derived-" + stable_hash(summary, source)
    if len(dedup_key) > MAX_DEDUP_KEY:
        raise AlertPayloadError(
            f"dedup_key is longer than {MAX_DEDUP_KEY} characters", field_name="dedup_key"
        )
    raw_severity = opt_str(payload, "severity").lower()
    severity = _severity(action, raw_severity)
    component = opt_str(payload, "component") or None
    key = f"ev2:{routing_key}:{dedup_key}"
    name = summary or dedup_key
    shown = {"resolve": "RESOLVED", "acknowledge": "ACKNOWLEDGED"}.get(action, severity.upper())
    title = f"{shown}: {source} / {name}" if source else f"{shown}: {name}"
    return AlertSignal(
        source="events",
        kind=kind,
        problem_key=key,
        # The dedup key is the alert's identity in this API; host/component may be
        # absent on acknowledge/resolve, so they cannot name the object reliably.
        object_key=key,
        delivery_id="ev2:" + stable_hash(dedup_key, action, stable_hash(dict(body))),
        host=source,
        service=component,
        title=_clip(title),
        severity=severity,
        state=raw_severity or action,
        output=summary,
        details={
            "event_action": action,
            "dedup_key": dedup_key,
            "routing_key_present": bool(routing_key),
            "summary": summary,
            "component": component,
            "group": opt_str(payload, "group"),
            "class": opt_str(payload, "class"),
            "custom_details": payload.get("custom_details"),
            "client": opt_str(body, "client"),
            "client_url": opt_str(body, "client_url"),
            "links": body.get("links") or [],
            "images": body.get("images") or [],
        },
        occurred_at=parse_time(payload.get("timestamp"), "payload.timestamp"),
        labels=_labels(payload),
    )


def _payload(body: Mapping[str, Any], action: str) -> Mapping[str, Any]:
    raw = body.get("payload")
    if raw is None:
        if action == "trigger":
            raise AlertPayloadError("payload is required for trigger", field_name="payload")
        return {}
    payload = require_mapping(raw, "payload")
    if action == "trigger":
        for name in ("summary", "source", "severity"):
            req_str(payload, name, "payload")
    summary = opt_str(payload, "summary")
    if len(summary) > MAX_SUMMARY:
        raise AlertPayloadError(
            f"payload.summary is longer than {MAX_SUMMARY} characters ({len(summary)})",
            field_name="payload.summary",
        )
    severity = opt_str(payload, "severity").lower()
    if severity and severity not in PD_SEVERITIES:
        raise AlertPayloadError(
            f"payload.severity must be one of {sorted(PD_SEVERITIES)}, got {severity!r}",
            field_name="payload.severity",
        )
    return payload


def _severity(action: str, raw: str) -> str:
    if action == "resolve":
        return "ok"
    if raw:
        return PD_SEVERITIES[raw]
    return "info"  # an acknowledge without payload says nothing about severity


def _labels(payload: Mapping[str, Any]) -> dict[str, str]:
    """component/group/class as labels, so routing rules can match them."""
    return {
        name: value for name in ("component", "group", "class") if (value := opt_str(payload, name))
    }


def _clip(text: str) -> str:
    return text if len(text) <= _TITLE_LIMIT else text[: _TITLE_LIMIT - 1] + "…"
