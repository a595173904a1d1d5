"""Nagios 4 notifications: the macro fields a notification command posts, and stock mails.

Facts this module is built on (captured from Nagios 4.4.6, see shared/data/README.md):

* a service RECOVERY keeps its id in ``SERVICEPROBLEMID`` (``LASTSERVICEPROBLEMID`` is
  0), but a host RECOVERY has ``HOSTPROBLEMID`` 0 and the id in ``LASTHOSTPROBLEMID``;
  both shapes are accepted for both object types;
* problem ids restart at 1 when Nagios loses its retention file, so the problem key
  also names host and service;
* long output arrives with newlines escaped as a literal ``\\n``;
* Nagios never retries a failed notification, while our contrib script does, so a
  delivery id must recognise the retry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hub.ops.alerts._fields import (
    opt_str,
    parse_time,
    req_str,
    require_mapping,
    split_list,
    stable_hash,
)
from hub.ops.alerts.perfdata import parse_perfdata
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

NOTIFICATION_KINDS = {
    "PROBLEM": "problem",
    "RECOVERY": "recovery",
    "ACKNOWLEDGEMENT": "acknowledgement",
    "FLAPPINGSTART": "flapping_start",
    "FLAPPINGSTOP": "flapping_stop",
    "FLAPPINGDISABLED": "flapping_stop",
    "DOWNTIMESTART": "downtime_start",
    "DOWNTIMEEND": "downtime_end",
    "DOWNTIMECANCELLED": "downtime_end",
    "CUSTOM": "custom",
}

STATE_SEVERITY = {
    "OK": "ok",
    "WARNING": "warning",
    "CRITICAL": "critical",
    "UNKNOWN": "unknown",
    "UP": "ok",
    "DOWN": "critical",
    # Unreachable means a parent is down: the host's own state is not known.
    "UNREACHABLE": "unknown",
}

_ESCAPE = re.compile(r"\\(\\|n)")


def unescape_output(text: str) -> str:
    """Undo Nagios' escaping of plugin output: ``\\n`` -> newline, ``\\\\`` -> ``\\``.

    Other backslashes are left alone, so a Windows path in output survives.
    """
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\\", text)


def parse_nagios(fields: Mapping[str, Any]) -> AlertSignal:
    """Normalise the macro fields of one host or service notification.

    Service vs host is decided by ``SERVICEDESC`` being present and non-empty (the
    ``object_type`` field some commands add is not required).
    """
    doc = require_mapping(fields, "Nagios notification")
    ntype = req_str(doc, "NOTIFICATIONTYPE", "Nagios notification").upper()
    kind = NOTIFICATION_KINDS.get(ntype)
    if kind is None:
        raise AlertPayloadError(
            f"unknown NOTIFICATIONTYPE {ntype!r}; expected one of {sorted(NOTIFICATION_KINDS)}",
            field_name="NOTIFICATIONTYPE",
        )
    host = req_str(doc, "HOSTNAME", "Nagios notification")
    service = opt_str(doc, "SERVICEDESC") or None
    prefix = "SERVICE" if service else "HOST"
    state = req_str(doc, f"{prefix}STATE", "Nagios notification").upper()
    problem_id = _problem_id(doc, prefix, ntype)
    problem_key = f"nagios:{host}:{service or '-'}:{problem_id}"
    output = _output(doc, prefix)
    ack_author = opt_str(doc, "NOTIFICATIONAUTHOR") or opt_str(doc, f"{prefix}ACKAUTHOR")
    ack_comment = opt_str(doc, "NOTIFICATIONCOMMENT") or opt_str(doc, f"{prefix}ACKCOMMENT")
    details: dict[str, Any] = {
        "notification_type": ntype,
        "object_type": "service" if service else "host",
        "problem_id": problem_id,
        "notification_number": opt_str(doc, "NOTIFICATIONNUMBER"),
        "address": opt_str(doc, "HOSTADDRESS"),
        "host_alias": opt_str(doc, "HOSTALIAS"),
        "state_type": opt_str(doc, f"{prefix}STATETYPE"),
        "author": ack_author,
        "comment": ack_comment,
        "macros": {str(k): opt_str(doc, str(k)) for k in doc},
    }
    delivery_id = "nagios:" + stable_hash(
        ntype,
        opt_str(doc, f"{prefix}NOTIFICATIONID"),
        opt_str(doc, "NOTIFICATIONNUMBER"),
        problem_key,
        # Inline curl commands send no notification id; the time then tells deliveries apart.
        opt_str(doc, "TIMET") or opt_str(doc, "LONGDATETIME"),
    )
    return AlertSignal(
        source="nagios",
        kind=kind,
        problem_key=problem_key,
        object_key=f"{host}/{service}" if service else host,
        delivery_id=delivery_id,
        host=host,
        service=service,
        title=f"{state}: {host} / {service}" if service else f"{state}: {host}",
        severity=STATE_SEVERITY.get(state, "unknown"),
        state=state,
        output=output,
        details=details,
        occurred_at=_occurred_at(doc),
        labels=_labels(doc),
        parent_hosts=split_list(opt_str(doc, "HOSTPARENTS") or opt_str(doc, "_HOSTPARENTS")),
        perfdata=parse_perfdata(opt_str(doc, f"{prefix}PERFDATA")),
    )


def _problem_id(doc: Mapping[str, Any], prefix: str, ntype: str) -> str:
    """The id of the problem this notification is about.

    The LAST* id is only used on a RECOVERY: for other types a 0 means "no current
    problem", and borrowing an old, resolved problem's id would attach e.g. a
    downtime notice to a closed ticket.
    """
    current = opt_str(doc, f"{prefix}PROBLEMID")
    if current in ("", "0") and ntype == "RECOVERY":
        last = opt_str(doc, f"LAST{prefix}PROBLEMID")
        if last not in ("", "0"):
            return last
    return current or "0"


def _output(doc: Mapping[str, Any], prefix: str) -> str:
    short = unescape_output(opt_str(doc, f"{prefix}OUTPUT"))
    long = unescape_output(opt_str(doc, f"LONG{prefix}OUTPUT"))
    return f"{short}\n{long}" if short and long else short or long


def _occurred_at(doc: Mapping[str, Any]) -> datetime | None:
    timet = opt_str(doc, "TIMET")
    if timet:
        return parse_time(timet, "TIMET")
    return parse_long_datetime(opt_str(doc, "LONGDATETIME"))


def parse_long_datetime(text: str) -> datetime | None:
    """``Wed Nov 25 22:50:18 UTC 2026`` -> aware datetime; None for other zones.

    $LONGDATETIME$ names the zone only by abbreviation ("CET" is ambiguous), so only
    UTC/GMT are trusted.
    """
    parts = text.split()
    if len(parts) != 6 or parts[4] not in ("UTC", "GMT"):
        return None
    try:
        naive = datetime.strptime(" ".join(parts[:4] + parts[5:]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return naive.replace(tzinfo=UTC)


def _labels(doc: Mapping[str, Any]) -> dict[str, str]:
    """Group names and custom variables (``_HOSTTEAM`` -> ``team``) for routing rules."""
    labels: dict[str, str] = {}
    for key, label in (("HOSTGROUPNAME", "hostgroup"), ("SERVICEGROUPNAME", "servicegroup")):
        if value := opt_str(doc, key):
            labels[label] = value
    for key in doc:
        name = str(key)
        for custom in ("_HOST", "_SERVICE"):
            if name.startswith(custom) and len(name) > len(custom) and name != "_HOSTPARENTS":
                labels.setdefault(name[len(custom) :].lower(), opt_str(doc, name))
    return labels


# --- stock notify-*-by-email mails -------------------------------------------------

_SUBJECT = re.compile(
    r"\*\*\s*(?P<type>[A-Z]+)\s+(?P<what>Service|Host)\s+Alert:\s*(?P<rest>.*?)\s*\*\*\s*$"
)
_LINE = re.compile(r"^(Notification Type|Service|Host|Address|State|Info|Date/Time):\s*(.*)$")


def parse_nagios_email(subject: str, text: str) -> AlertSignal | None:
    """Recognise a stock ``notify-service-by-email`` / ``notify-host-by-email`` mail.

    The mail carries no problem id, so the problem key is
    ``nagios-mail:{host}:{service or '-'}``: a PROBLEM and its RECOVERY still meet,
    but two successive problems of one service share the key (the caller should
    open a new ticket when the previous one is resolved). Beware that the stock
    *service* mail writes ``$HOSTALIAS$`` after ``Host:`` (``Web frontend 01``),
    the *host* mail ``$HOSTNAME$``; the mail's host is used as given.
    Returns None for mail that is not such a notification.
    """
    values = _mail_lines(text)
    ntype = values.get("Notification Type", "").upper()
    host = values.get("Host", "")
    state = values.get("State", "").upper()
    subject_match = _SUBJECT.search(subject or "")
    if not (ntype and host and state) or ntype not in NOTIFICATION_KINDS:
        return None
    if subject_match is None and "***** Nagios *****" not in text:
        return None
    service = values.get("Service") or None
    output = values.get("Info", "") if not service else _additional_info(text)
    problem_key = f"nagios-mail:{host}:{service or '-'}"
    when = values.get("Date/Time", "")
    return AlertSignal(
        source="nagios",
        kind=NOTIFICATION_KINDS[ntype],
        problem_key=problem_key,
        object_key=f"{host}/{service}" if service else host,
        delivery_id="nagios-mail:" + stable_hash(ntype, problem_key, state, when, output),
        host=host,
        service=service,
        title=f"{state}: {host} / {service}" if service else f"{state}: {host}",
        severity=STATE_SEVERITY.get(state, "unknown"),
        state=state,
        output=output,
        details={
            "notification_type": ntype,
            "object_type": "service" if service else "host",
            "address": values.get("Address", ""),
            "subject": subject,
            "via": "email",
        },
        occurred_at=parse_long_datetime(when),
    )


def _mail_lines(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match and match.group(1) not in values:
            values[match.group(1)] = match.group(2).strip()
    return values


def _additional_info(text: str) -> str:
    """The plugin output that follows the ``Additional Info:`` line, blank-trimmed."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "Additional Info:":
            return "\n".join(lines[index + 1 :]).strip()
    return ""
