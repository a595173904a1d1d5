"""Small field readers shared by the source parsers.

Senders are shell scripts, curl one-liners and other people's daemons: values may
be strings or numbers, optional fields may be missing, null or empty. These helpers
turn that into a few predictable cases and raise :class:`AlertPayloadError` with the
field's name otherwise, so every parser reports bad input the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hub.ops.alerts.signal import AlertPayloadError


def require_mapping(doc: object, what: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise AlertPayloadError(f"{what} must be a JSON object, got {type(doc).__name__}")
    return doc


def opt_str(doc: Mapping[str, Any], key: str) -> str:
    """The field as a stripped string; "" when missing, null or empty."""
    value = doc.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise AlertPayloadError(
        f"field {key!r} must be a string or a number, got {type(value).__name__}",
        field_name=key,
    )


def req_str(doc: Mapping[str, Any], key: str, what: str = "payload") -> str:
    value = opt_str(doc, key)
    if not value:
        raise AlertPayloadError(
            f"{what}: required field {key!r} is missing or empty", field_name=key
        )
    return value


def str_dict(value: object, key: str) -> dict[str, str]:
    """A label/annotation map; values are stringified because routing compares strings."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AlertPayloadError(f"field {key!r} must be an object", field_name=key)
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def stable_hash(*parts: object) -> str:
    """A short, order-sensitive digest of JSON-able parts (for delivery and dedup ids)."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def parse_time(value: object, key: str) -> datetime | None:
    """ISO 8601 (``Z`` allowed) or Unix seconds, as an aware UTC datetime.

    A naive ISO time is taken as UTC: every sender we know writes UTC, and a
    guessed local zone would be wrong on the hub's side anyway.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise AlertPayloadError(f"field {key!r} is not a time", field_name=key)
    if isinstance(value, int | float):
        return _from_epoch(float(value), key)
    if not isinstance(value, str):
        raise AlertPayloadError(f"field {key!r} is not a time", field_name=key)
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _from_epoch(seconds, key)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise AlertPayloadError(
            f"field {key!r}: {value!r} is not an ISO 8601 time", field_name=key
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(seconds: float, key: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise AlertPayloadError(
            f"field {key!r}: {seconds!r} is out of range", field_name=key
        ) from None


def split_list(value: str) -> tuple[str, ...]:
    """ "a, b c" -> ("a", "b", "c"): parent lists arrive comma- or space-separated."""
    return tuple(item for item in value.replace(",", " ").split() if item)
