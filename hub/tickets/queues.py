"""Queues: where tickets live, their addresses, lifecycle and custom fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.actors import Actor
from hub.domain import Aggregate, PermissionDeniedError, StateConflictError, ValidationError
from hub.tickets.events import QueueChanged, QueueCreated
from hub.tickets.fields import FieldSpec
from hub.tickets.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

QUEUE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
REOPEN_POLICIES = ("reopen", "new_ticket")
POLICY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")

#: Validators of queue settings owned by other features (``sla``), registered at
#: bootstrap: ``check(value, conn) -> stored value``, raising ValidationError.
SettingCheck = Callable[[Any, Any], Any]
SETTING_CHECKS: dict[str, SettingCheck] = {}


def register_queue_setting(name: str, check: SettingCheck) -> None:
    """Let a feature above tickets own a queue setting (the SLA feature's ``sla``)."""
    SETTING_CHECKS[name] = check


def _escalation_policy(value: Any, conn: Any) -> str | None:
    """The on-call escalation policy a queue names (kept as given; on-call resolves it)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not POLICY_NAME.match(value):
        raise ValidationError("escalation_policy is a policy name or null",
                              field="escalation_policy")
    return value


def checked_settings(conn: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with the feature-owned ones validated and normalised."""
    out = dict(settings)
    for name in ("sla", "escalation_policy"):
        if name not in out:
            continue
        check = SETTING_CHECKS.get(name, _escalation_policy if name == "escalation_policy"
                                   else None)
        if check is None and out[name] is None:
            continue
        if check is None:
            raise ValidationError(f"queue setting {name!r} needs a feature that is not wired")
        out[name] = check(out[name], conn)
    return out


@dataclass(frozen=True)
class QueueSpec:
    """The settings of a queue that ticket rules depend on."""

    name: str
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE
    custom_fields: tuple[FieldSpec, ...] = ()
    reopen_policy: str = "reopen"
    customers_may_create: bool = True

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.custom_fields if f.name == name), None)


class Queue(Aggregate):
    stream_prefix = "queue"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id.lower())
        self.name = aggregate_id
        self.description = ""
        self.address = ""
        self.comment_address = ""
        self.lifecycle = DEFAULT_LIFECYCLE
        self.custom_fields: tuple[FieldSpec, ...] = ()
        self.reopen_policy = "reopen"
        self.customers_may_create = True
        self.disabled = False
        self.sla: dict[str, Any] | None = None
        self.escalation_policy: str | None = None

    @property
    def spec(self) -> QueueSpec:
        return QueueSpec(self.name, self.lifecycle, self.custom_fields, self.reopen_policy,
                         self.customers_may_create)

    def create(self, actor: Actor, *, name: str, description: str = "",
               address: str = "", comment_address: str = "",
               lifecycle: dict[str, Any] | None = None,
               custom_fields: list[dict[str, Any]] | None = None,
               reopen_policy: str = "reopen", customers_may_create: bool = True,
               sla: dict[str, Any] | None = None,
               escalation_policy: str | None = None) -> None:
        if not actor.can("AdminQueue"):
            raise PermissionDeniedError("creating a queue needs AdminQueue")
        if self.exists:
            raise StateConflictError(f"queue {name} already exists")
        if not QUEUE_NAME.match(name):
            raise ValidationError("queue names start with a letter and use letters, digits, . _ -")
        if reopen_policy not in REOPEN_POLICIES:
            raise ValidationError(f"reopen_policy is one of {list(REOPEN_POLICIES)}")
        cycle = Lifecycle.from_dict(lifecycle) if lifecycle else DEFAULT_LIFECYCLE
        specs = [FieldSpec.from_dict(f) for f in (custom_fields or [])]
        self._record(QueueCreated(
            name=name, description=description, address=address,
            comment_address=comment_address, lifecycle=cycle.as_dict(),
            custom_fields=[s.as_dict() for s in specs], reopen_policy=reopen_policy,
            customers_may_create=customers_may_create, sla=sla,
            escalation_policy=escalation_policy))

    def change(self, actor: Actor, **changes: Any) -> None:
        if not actor.can("AdminQueue"):
            raise PermissionDeniedError("changing a queue needs AdminQueue")
        allowed = {"description", "address", "comment_address", "lifecycle", "custom_fields",
                   "reopen_policy", "customers_may_create", "disabled",
                   "add_cc_watchers",  # mail: outsiders' Cc become watchers
                   "sla", "escalation_policy"}  # checked by checked_settings
        unknown = set(changes) - allowed
        if unknown:
            raise ValidationError(f"unknown queue settings: {sorted(unknown)}")
        if "lifecycle" in changes:
            changes["lifecycle"] = Lifecycle.from_dict(changes["lifecycle"]).as_dict()
        if "custom_fields" in changes:
            changes["custom_fields"] = [
                FieldSpec.from_dict(f).as_dict() for f in changes["custom_fields"]
            ]
        if changes.get("reopen_policy", "reopen") not in REOPEN_POLICIES:
            raise ValidationError(f"reopen_policy is one of {list(REOPEN_POLICIES)}")
        self._record(QueueChanged(changes=changes))

    def _on_QueueCreated(self, data: dict[str, Any]) -> None:
        self.name = data["name"]
        self._set(data)

    def _on_QueueChanged(self, data: dict[str, Any]) -> None:
        self._set(data["changes"])

    def _set(self, data: dict[str, Any]) -> None:
        self.description = data.get("description", self.description)
        self.address = data.get("address", self.address)
        self.comment_address = data.get("comment_address", self.comment_address)
        if "lifecycle" in data:
            self.lifecycle = Lifecycle.from_dict(data["lifecycle"])
        if "custom_fields" in data:
            self.custom_fields = tuple(FieldSpec.from_dict(f) for f in data["custom_fields"])
        self.reopen_policy = data.get("reopen_policy", self.reopen_policy)
        self.customers_may_create = data.get("customers_may_create", self.customers_may_create)
        self.disabled = data.get("disabled", self.disabled)
        self.sla = data.get("sla", self.sla)
        self.escalation_policy = data.get("escalation_policy", self.escalation_policy)
