"""Typed events: every fact is a frozen dataclass registered by type name and version.

Why a registry: the store keeps events as a type name plus JSON, and aggregates,
projections and reactors pick the events they act on by that name. A misspelled
name used to be a silent no-op; here every name a handler mentions is checked
against the registry when the hub starts (:func:`check_handled`), and every
event an aggregate records is an instance of a registered class with explicit
fields, so no entrypoint can splice extra keys into a payload.

Stored JSON stays as it always was: :meth:`Event.to_data` writes the fields by
name, leaving out optional fields that are ``None``; an event stored under an
older schema version is brought up to date by the upcasters registered for it
(:func:`upcaster`) before anything reads it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound="Event")
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventError(Exception):
    """A handler or a stored event names a type that no feature registered."""


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every event class; subclasses are frozen dataclasses decorated with :func:`event`."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        """The JSON payload: every field, except optional ones left at ``None``."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue
            out[f.name] = value
        return out

    @classmethod
    def from_data(cls: type[E], data: Mapping[str, Any]) -> E:
        """The typed event from a (current-version) payload; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


_TYPES: dict[str, type[Event]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def event(cls: type[E]) -> type[E]:
    """Register ``cls`` (a frozen dataclass) under its class name."""
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} must be a frozen dataclass")
    name = cls.__name__
    known = _TYPES.get(name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"event type {name} registered twice ({known.__module__})")
    cls.TYPE = name
    _TYPES[name] = cls
    return cls


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning a ``from_version`` payload into the next version's."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = fn
        return fn

    return register


def lookup(type_name: str) -> type[Event]:
    try:
        return _TYPES[type_name]
    except KeyError:
        raise UnknownEventError(f"unknown event type {type_name!r}") from None


def is_known(type_name: str) -> bool:
    return type_name in _TYPES


def known_types() -> frozenset[str]:
    return frozenset(_TYPES)


def upcast(type_name: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """The payload of a stored event in the shape of its class's current version."""
    cls = _TYPES.get(type_name)
    if cls is None or schema_version >= cls.VERSION:
        return data
    for version in range(schema_version, cls.VERSION):
        step = _UPCASTERS.get((type_name, version))
        if step is not None:
            data = step(dict(data))
    return data


def decode(type_name: str, schema_version: int, data: dict[str, Any]) -> Event:
    return lookup(type_name).from_data(upcast(type_name, schema_version, data))


def handled_names(obj: object, prefix: str) -> set[str]:
    """Event type names an object handles through ``<prefix><EventType>`` methods."""
    return {name[len(prefix):] for name in dir(obj)
            if name.startswith(prefix) and name[len(prefix):][:1].isupper()}


def check_handled(owner: str, names: Iterable[str]) -> None:
    """Fail at start-up when a handler names an event type nobody registered."""
    unknown = sorted(n for n in names if n not in _TYPES)
    if unknown:
        raise UnknownEventError(f"{owner} handles unknown event types: {', '.join(unknown)}")
