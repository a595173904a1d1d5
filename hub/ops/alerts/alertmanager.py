"""Prometheus Alertmanager webhook notifications (payload ``version`` "4").

One POST carries a whole alert group; each alert in it becomes its own signal,
because alerts of a group start, resolve and are retried independently. An alert's
identity is its label ``fingerprint``; one firing episode of it is the fingerprint
plus ``startsAt`` (Alertmanager keeps ``startsAt`` across re-sends of the same episode
and sets ``endsAt`` once it is resolved).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.ops.alerts._fields import (
    opt_str,
    parse_time,
    req_str,
    require_mapping,
    split_list,
    stable_hash,
    str_dict,
)
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

SEVERITY_LABELS = {
    "critical": "critical",
    "page": "critical",
    "error": "critical",
    "high": "critical",
    "warning": "warning",
    "warn": "warning",
    "medium": "warning",
    "info": "info",
    "informational": "info",
    "low": "info",
    "none": "info",
}

# Labels that name the machine, most specific first; ``instance`` loses its port.
HOST_LABELS = ("host", "hostname", "instance", "nodename", "node")

_ZERO_TIME_YEAR = 1  # Go's zero time, "0001-01-01T00:00:00Z", means "not ended"


def parse_alertmanager(doc: Mapping[str, Any]) -> list[AlertSignal]:
    """One signal per alert: ``firing`` -> problem, ``resolved`` -> recovery."""
    body = require_mapping(doc, "Alertmanager webhook")
    version = opt_str(body, "version")
    if version and version != "4":
        raise AlertPayloadError(
            f"unsupported Alertmanager webhook version {version!r} (expected '4')",
            field_name="version",
        )
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise AlertPayloadError(
            "Alertmanager webhook: 'alerts' must be a list", field_name="alerts"
        )
    group = {
        "receiver": opt_str(body, "receiver"),
        "group_key": opt_str(body, "groupKey"),
        "group_status": opt_str(body, "status"),
        "group_labels": str_dict(body.get("groupLabels"), "groupLabels"),
        "common_labels": str_dict(body.get("commonLabels"), "commonLabels"),
        "common_annotations": str_dict(body.get("commonAnnotations"), "commonAnnotations"),
        "external_url": opt_str(body, "externalURL"),
        "truncated_alerts": body.get("truncatedAlerts") or 0,
    }
    return [_parse_alert(alert, index, group) for index, alert in enumerate(alerts)]


def _parse_alert(raw: object, index: int, group: dict[str, Any]) -> AlertSignal:
    where = f"Alertmanager alert #{index}"
    alert = require_mapping(raw, where)
    status = req_str(alert, "status", where).lower()
    if status not in ("firing", "resolved"):
        raise AlertPayloadError(
            f"{where}: status must be 'firing' or 'resolved', got {status!r}", field_name="status"
        )
    labels = str_dict(alert.get("labels"), "labels")
    annotations = str_dict(alert.get("annotations"), "annotations")
    alertname = labels.get("alertname") or group["common_labels"].get("alertname", "")
    if not alertname:
        raise AlertPayloadError(f"{where}: label 'alertname' is missing", field_name="labels")
    starts_raw = req_str(alert, "startsAt", where)
    starts_at = parse_time(starts_raw, "startsAt")
    ends_raw = opt_str(alert, "endsAt")
    ends_at = _end_time(ends_raw)
    # Alertmanager always sends a fingerprint; a hand-made payload may not, and the
    # sorted label set is what Alertmanager hashes too.
    fingerprint = opt_str(alert, "fingerprint") or stable_hash(sorted(labels.items()))[:16]
    host = _host(labels)
    firing = status == "firing"
    severity = (
        SEVERITY_LABELS.get(labels.get("severity", "").lower(), "unknown") if firing else "ok"
    )
    shown = severity.upper() if firing else "RESOLVED"
    return AlertSignal(
        source="alertmanager",
        kind="problem" if firing else "recovery",
        problem_key=f"am:{fingerprint}:{starts_raw}",
        object_key=f"{host}/{alertname}" if host else alertname,
        delivery_id="am:" + stable_hash(fingerprint, status, starts_raw, ends_raw),
        host=host,
        service=alertname,
        title=f"{shown}: {host} / {alertname}" if host else f"{shown}: {alertname}",
        severity=severity,
        state=status,
        output=_output(annotations),
        details={
            **group,
            "fingerprint": fingerprint,
            "labels": labels,
            "annotations": annotations,
            "starts_at": starts_raw,
            "ends_at": ends_raw,
            "generator_url": opt_str(alert, "generatorURL"),
        },
        occurred_at=starts_at if firing or ends_at is None else ends_at,
        labels=labels,
        parent_hosts=split_list(labels.get("parent", "") or labels.get("switch", "")),
    )


def _end_time(raw: str) -> datetime | None:
    ends_at = parse_time(raw, "endsAt") if raw else None
    if ends_at is None or ends_at.year == _ZERO_TIME_YEAR:
        return None
    return ends_at


def _host(labels: Mapping[str, str]) -> str:
    for name in HOST_LABELS:
        value = labels.get(name, "")
        if value:
            return _strip_port(value) if name == "instance" else value
    return ""


def _strip_port(instance: str) -> str:
    """``web-01:9100`` -> ``web-01``; ``[2001:db8::1]:9100`` -> ``2001:db8::1``."""
    if instance.startswith("["):
        return instance[1:].split("]", 1)[0]
    head, sep, tail = instance.rpartition(":")
    if sep and tail.isdigit() and ":" not in head:
        return head
    return instance


def _output(annotations: Mapping[str, str]) -> str:
    parts = [annotations.get(name, "") for name in ("summary", "description", "message")]
    return "\n".join(part for part in parts if part)
