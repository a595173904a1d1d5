"""Ticket lifecycles: the statuses a queue uses, allowed moves, and the right each needs.

The default mirrors Request Tracker's: every status can move to every other,
deleting needs DeleteTicket and any other move ModifyTicket, except resolving,
which requestors may do on their own tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.domain import ValidationError


@dataclass(frozen=True)
class Lifecycle:
    name: str
    initial: tuple[str, ...]
    active: tuple[str, ...]
    inactive: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]
    rights: tuple[tuple[str, str, str], ...]  # (from, to, right); '*' matches anything
    reopen_to: str = "open"       # where a requestor's reply moves an inactive ticket
    open_on_reply: str = "open"   # where a staff reply moves a ticket in an initial status
    resolved: str = "resolved"    # the status dependencies block
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def statuses(self) -> tuple[str, ...]:
        return self.initial + self.active + self.inactive

    def is_active(self, status: str) -> bool:
        return status in self.initial or status in self.active

    def can_move(self, source: str, target: str) -> bool:
        return target in self.transitions.get(source, ())

    def right_for(self, source: str, target: str) -> str:
        for frm, to, right in self.rights:
            if frm in ("*", source) and to in ("*", target):
                return right
        return "ModifyTicket"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "initial": list(self.initial), "active": list(self.active),
            "inactive": list(self.inactive),
            "transitions": {k: list(v) for k, v in self.transitions.items()},
            "rights": [list(r) for r in self.rights], "reopen_to": self.reopen_to,
            "open_on_reply": self.open_on_reply, "resolved": self.resolved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lifecycle:
        try:
            lifecycle = cls(
                name=str(data["name"]),
                initial=tuple(data["initial"]),
                active=tuple(data.get("active", ())),
                inactive=tuple(data.get("inactive", ())),
                transitions={k: tuple(v) for k, v in data["transitions"].items()},
                rights=tuple(
                    (str(r[0]), str(r[1]), str(r[2])) for r in data.get("rights", ())
                ),
                reopen_to=str(data.get("reopen_to", "open")),
                open_on_reply=str(data.get("open_on_reply", "open")),
                resolved=str(data.get("resolved", "resolved")),
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise ValidationError(f"invalid lifecycle definition: {exc}") from exc
        lifecycle.check()
        return lifecycle

    def check(self) -> None:
        known = set(self.statuses)
        if not self.initial:
            raise ValidationError("a lifecycle needs an initial status")
        for source, targets in self.transitions.items():
            unknown = ({source} | set(targets)) - known
            if unknown:
                raise ValidationError(f"lifecycle names unknown statuses: {sorted(unknown)}")
        for name in (self.reopen_to, self.open_on_reply):
            if name not in known:
                raise ValidationError(f"lifecycle names unknown status {name!r}")


def _rt_default() -> Lifecycle:
    statuses = ("new", "open", "stalled", "resolved", "rejected", "deleted")
    transitions = {s: tuple(t for t in statuses if t != s) for s in statuses}
    return Lifecycle(
        name="default",
        initial=("new",),
        active=("open", "stalled"),
        inactive=("resolved", "rejected", "deleted"),
        transitions=transitions,
        rights=(("*", "deleted", "DeleteTicket"), ("*", "resolved", "ResolveTicket"),
                ("*", "*", "ModifyTicket")),
    )


DEFAULT_LIFECYCLE = _rt_default()
