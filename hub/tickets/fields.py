"""Typed custom fields per queue, validated before any event records a value."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from hub.domain import ValidationError

FIELD_TYPES = ("text", "integer", "number", "boolean", "date", "select", "multiselect", "ip")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str = "text"
    values: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 1000
    internal: bool = False  # hidden from customers

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldSpec:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise ValidationError("a custom field needs a name")
        kind = data.get("type", "text")
        if kind not in FIELD_TYPES:
            raise ValidationError(f"unknown field type {kind!r}", allowed=list(FIELD_TYPES))
        try:
            raw_values = data.get("values", ())
            if isinstance(raw_values, str) or not isinstance(raw_values, list | tuple):
                raise TypeError("values is a list")
            values = tuple(str(v) for v in raw_values)
            max_length = int(data.get("max_length", 1000))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"field {data['name']!r}: {exc}") from exc
        if kind in ("select", "multiselect") and not values:
            raise ValidationError(f"field {data['name']!r} of type {kind} needs values")
        return cls(name=data["name"], type=kind, values=values,
                   required=bool(data.get("required", False)),
                   max_length=max_length, internal=bool(data.get("internal", False)))

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "values": list(self.values),
                "required": self.required, "max_length": self.max_length,
                "internal": self.internal}

    def clean(self, value: Any) -> Any:
        """Return the canonical stored form of ``value`` or raise ValidationError."""
        if value is None or value == "" or value == []:
            if self.required:
                raise ValidationError(f"field {self.name!r} is required", field=self.name)
            return None
        try:
            return _CLEANERS[self.type](self, value)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                f"field {self.name!r}: {exc}", field=self.name, type=self.type
            ) from exc


def _text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    if len(value) > spec.max_length:
        raise ValueError(f"longer than {spec.max_length} characters")
    return value


def _integer(_spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("expected a whole number")
    number = int(value)
    if abs(number) > 2**53:
        raise ValueError("out of range")
    return number


def _number(_spec: FieldSpec, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def _boolean(_spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _date(_spec: FieldSpec, value: Any) -> str:
    return dt.date.fromisoformat(str(value)).isoformat()


def _select(spec: FieldSpec, value: Any) -> str:
    if str(value) not in spec.values:
        raise ValueError(f"{value!r} is not one of {list(spec.values)}")
    return str(value)


def _multiselect(spec: FieldSpec, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    return [_select(spec, v) for v in items]


def _ip(_spec: FieldSpec, value: Any) -> str:
    return str(ipaddress.ip_address(str(value)))


_CLEANERS = {"text": _text, "integer": _integer, "number": _number, "boolean": _boolean,
             "date": _date, "select": _select, "multiselect": _multiselect, "ip": _ip}
