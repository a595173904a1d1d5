"""A rule's ``if``: every condition given must hold (RT's scrip conditions, declared).

Comparisons ignore case; a list means "any of these". ``source`` is how the ticket came
in (its first event: web, api, email, alert ...), ``event_source`` where the triggering
event came from; ``actor`` is who caused the event (staff, customer, system).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.rules.facts import Facts


def _lower(value: Any) -> str:
    return "" if value is None else str(value).lower()


def _domain_matches(address: str, domains: list[str]) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _field_matches(value: Any, wanted: list[str | None]) -> bool:
    values = value if isinstance(value, list) else [value]
    present = [str(v).lower() for v in values if v not in (None, "")]
    if not present:
        return None in wanted
    return any(w is not None and w.lower() in present for w in wanted)


CHECKS: dict[str, Callable[[Facts, Any], bool]] = {
    "queue": lambda f, v: _lower(f.state["queue"]) in v,
    "status": lambda f, v: _lower(f.state["status"]) in v,
    "owner": lambda f, v: _lower(f.state["owner"] or "nobody") in v,
    "requestor_domain": lambda f, v: any(_domain_matches(a, v)
                                         for a in f.state["watchers"]["requestors"]),
    "source": lambda f, v: _lower(f.origin) in v,
    "event_source": lambda f, v: _lower(f.event["source"]) in v,
    "actor": lambda f, v: f.event["actor_kind"] in v,
    "priority_at_least": lambda f, v: int(f.state["priority"]) >= int(v),
    "subject_contains": lambda f, v: v.lower() in f.state["subject"].lower(),
    "text_contains": lambda f, v: v.lower() in f.state["subject"].lower()
    or v.lower() in f.body.lower(),
    "cf": lambda f, v: all(_field_matches(f.state["fields"].get(name), wanted)
                           for name, wanted in v.items()),
}


def holds(conditions: dict[str, Any], facts: Facts) -> bool:
    """Whether every condition of a (normalised) rule holds for ``facts``."""
    return all(CHECKS[name](facts, value) for name, value in conditions.items())
