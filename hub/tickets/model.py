"""The Ticket aggregate: Request Tracker's rules, recorded as events.

Every method checks the rule and the actor's right, then records one event per
change; appliers (``_on_*``) are the only place state changes, so the history is
the event stream and any past state can be rebuilt.
"""

from __future__ import annotations

from typing import Any

from hub.actors import Actor
from hub.domain import PermissionDeniedError, StateConflictError, ValidationError
from hub.tickets import events as ev
from hub.tickets.queues import QueueSpec
from hub.tickets.rules import (
    LINK_KINDS,
    MAX_BODY,
    MAX_SUBJECT,
    WATCHER_ROLES,
    _clean_addresses,
    _clean_due,
    _clean_priority,
    _need,
)
from hub.tickets.state import TicketState

__all__ = ["LINK_KINDS", "MAX_BODY", "MAX_SUBJECT", "WATCHER_ROLES", "Ticket"]

class Ticket(TicketState):
    """The aggregate: each command checks RT's rule and the actor's right, then records."""

    # -- commands -----------------------------------------------------------------
    def create(self, actor: Actor, queue: QueueSpec, *, subject: str, body: str = "",
               requestors: Any = None, cc: Any = None, admincc: Any = None,
               priority: Any = None, due: Any = None, fields: dict[str, Any] | None = None,
               owner: str | None = None, status: str | None = None,
               content_type: str = "text/plain", extra: dict[str, Any] | None = None) -> None:
        _need(actor, "CreateTicket", f"creating a ticket in {queue.name}")
        self._check_create_fields(actor, queue, owner=owner, status=status, priority=priority,
                                  due=due, admincc=admincc, fields=fields)
        if self.exists:
            raise StateConflictError(f"ticket {self.id} already exists")
        subject = (subject or "").strip()
        if not subject:
            raise ValidationError("a ticket needs a subject")
        if len(subject) > MAX_SUBJECT or len(body or "") > MAX_BODY:
            raise ValidationError("subject or body too long")
        initial = status or queue.lifecycle.initial[0]
        if initial not in queue.lifecycle.statuses:
            raise ValidationError(f"unknown status {initial!r} in queue {queue.name}")
        people = _clean_addresses(requestors, "requestors")
        if not actor.is_staff:
            # Customers open tickets for themselves; others may be added as Cc.
            own = actor.email.lower()
            if any(p != own for p in people):
                raise PermissionDeniedError("customers can only open tickets as requestor",
                                            field="requestors")
            people = [own] if own else []  # an empty address (mail from <>) is nobody
        elif not people and actor.email and not actor.is_system:
            people = [actor.email.lower()]
        cleaned = self._clean_fields(queue, fields or {}, creating=True)
        self._record(ev.TicketCreated(
            queue=queue.name, subject=subject, body=body or "",
            content_type=content_type, status=initial,
            priority=_clean_priority(0 if priority is None else priority),
            due=_clean_due(due), requestors=people, cc=_clean_addresses(cc, "cc"),
            admincc=_clean_addresses(admincc, "admincc"), fields=cleaned, owner=owner,
            **ev.extras(extra),
        ))

    def correspond(self, actor: Actor, queue: QueueSpec, body: str,
                   extra: dict[str, Any] | None = None) -> None:
        """A public reply; RT's automatic status moves follow from who wrote it."""
        self._require_live()
        roles = self.roles_of(actor)
        if not (actor.can("ReplyToTicket") or roles & {"requestors", "cc"}):
            raise PermissionDeniedError("replying needs the right ReplyToTicket")
        self._check_body(body)
        self._record(ev.TicketCorresponded(
            body=body, by_staff=actor.role in ("admin", "staff"),
            **ev.extras(extra)))
        cycle = queue.lifecycle
        if "requestors" in roles and not actor.is_staff:
            if not cycle.is_active(self.status) and queue.reopen_policy == "reopen":
                self._record(ev.TicketStatusChanged(old=self.status, new=cycle.reopen_to,
                                                    reason="requestor replied"))
        elif self.status in cycle.initial and actor.is_staff:
            self._record(ev.TicketStatusChanged(old=self.status, new=cycle.open_on_reply,
                                                reason="staff replied"))

    def comment(self, actor: Actor, body: str, extra: dict[str, Any] | None = None) -> None:
        """A private note for staff: never shown to requestors."""
        self._require_live()
        _need(actor, "CommentOnTicket", "commenting")
        self._check_body(body)
        self._record(ev.TicketCommented(body=body, **ev.extras(extra)))

    def change_status(self, actor: Actor, queue: QueueSpec, new: str, *,
                      open_dependencies: list[int] | None = None, force: bool = False) -> None:
        self._require_live()
        cycle = queue.lifecycle
        if new == self.status:
            return
        if new not in cycle.statuses:
            raise ValidationError(f"unknown status {new!r}", allowed=list(cycle.statuses))
        if not cycle.can_move(self.status, new):
            raise StateConflictError(f"a ticket cannot move from {self.status} to {new}")
        right = cycle.right_for(self.status, new)
        is_own = "requestors" in self.roles_of(actor) and right == "ResolveTicket"
        if not (actor.can(right) or is_own):
            raise PermissionDeniedError(f"moving to {new} needs the right {right}", right=right)
        if new == cycle.resolved and open_dependencies and not force:
            raise StateConflictError(
                "the ticket depends on open tickets", depends_on=sorted(open_dependencies)
            )
        self._record(ev.TicketStatusChanged(old=self.status, new=new, forced=bool(force)))

    def set_owner(self, actor: Actor, new: str | None, *, how: str,
                  new_owner_may_own: bool = True) -> None:
        """Take, untake, steal or assign, each with RT's own right."""
        self._require_live()
        if new == self.owner:
            return
        if how == "take":
            _need(actor, "TakeTicket" if self.owner is None else "StealTicket", "taking")
            if self.owner is not None:
                how = "steal"
        elif how == "untake":
            if self.owner != actor.name:
                _need(actor, "ModifyTicket", "releasing someone else's ticket")
        elif how == "steal":
            _need(actor, "StealTicket", "stealing")
        elif how == "assign":
            _need(actor, "ModifyTicket", "assigning")
            if self.owner is not None and self.owner != actor.name:
                _need(actor, "StealTicket", "reassigning an owned ticket")
        else:
            raise ValidationError(f"unknown ownership change {how!r}")
        if new is not None and not new_owner_may_own:
            raise ValidationError(f"{new} may not own tickets in {self.queue}")
        self._record(ev.TicketOwnerChanged(old=self.owner, new=new, how=how))

    def set_priority(self, actor: Actor, value: Any) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "changing priority")
        number = _clean_priority(value)
        if number != self.priority:
            self._record(ev.TicketPriorityChanged(old=self.priority, new=number))

    def set_due(self, actor: Actor, value: Any) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "changing the due date")
        due = _clean_due(value)
        if due != self.due:
            self._record(ev.TicketDueChanged(old=self.due, new=due))

    def set_subject(self, actor: Actor, value: str) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "changing the subject")
        value = (value or "").strip()
        if not value or len(value) > MAX_SUBJECT:
            raise ValidationError("a subject is 1 to 500 characters")
        if value != self.subject:
            self._record(ev.TicketSubjectChanged(old=self.subject, new=value))

    def move(self, actor: Actor, target: QueueSpec, target_may_create: bool) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "moving a ticket")
        if not target_may_create:
            raise PermissionDeniedError(f"moving into {target.name} needs CreateTicket there")
        if target.name == self.queue:
            return
        status = self.status
        if status not in target.lifecycle.statuses:
            status = target.lifecycle.initial[0]
        cleaned = {k: v for k, v in self.fields.items() if target.field(k) is not None}
        self._record(ev.TicketQueueChanged(old=self.queue, new=target.name, status=status,
                                          fields=cleaned))

    def set_fields(self, actor: Actor, queue: QueueSpec, values: dict[str, Any]) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "changing custom fields")
        cleaned = self._clean_fields(queue, values, creating=False)
        for name, value in cleaned.items():
            if self.fields.get(name) != value:
                self._record(ev.TicketFieldChanged(name=name, old=self.fields.get(name),
                                                  new=value))

    def watch(self, actor: Actor, role: str, address: str, add: bool = True) -> None:
        self._require_live()
        if role not in WATCHER_ROLES:
            raise ValidationError(f"watcher role is one of {list(WATCHER_ROLES)}")
        _need(actor, "ModifyTicket", "changing watchers")
        (clean,) = _clean_addresses([address], role)
        present = clean in self.watchers[role]
        if add and not present:
            self._record(ev.TicketWatcherAdded(role=role, address=clean))
        elif not add and present:
            self._record(ev.TicketWatcherRemoved(role=role, address=clean))

    def link(self, actor: Actor, kind: str, other: int, add: bool = True,
             reverse: bool = False) -> None:
        """Record one side of a link; the handler records the reverse on the other ticket."""
        if kind not in LINK_KINDS:
            raise ValidationError(f"link kind is one of {sorted(LINK_KINDS)}")
        if not reverse:
            self._require_live()
            _need(actor, "ModifyTicket", "linking tickets")
            if other == self.number:
                raise ValidationError("a ticket cannot link to itself")
        present = other in self.links[kind]
        if add and not present:
            self._record(ev.TicketLinked(kind=kind, target=other))
        elif not add and present:
            self._record(ev.TicketUnlinked(kind=kind, target=other))

    def merge_into(self, actor: Actor, survivor: Ticket) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "merging tickets")
        if survivor.number == self.number:
            raise ValidationError("a ticket cannot merge into itself")
        survivor._require_live()
        self._record(ev.TicketMerged(into=survivor.number))
        survivor._record(ev.TicketMergeAbsorbed(
            source=self.number, watchers={r: list(p) for r, p in self.watchers.items()},
            time_worked=dict(self.time_worked),
            links={k: list(v) for k, v in self.links.items()}))

    def record_time(self, actor: Actor, minutes: Any, who: str | None = None) -> None:
        self._require_live()
        _need(actor, "ModifyTicket", "recording time worked")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not (
            -10_000 <= minutes <= 10_000
        ) or minutes == 0:
            raise ValidationError("time worked is a non-zero number of minutes")
        self._record(ev.TimeWorkedRecorded(user=who or actor.name, minutes=minutes))

    def record_delivery_failure(self, actor: Actor, *, recipient: str, status: str,
                                diagnostic: str = "", message_id: str | None = None,
                                permanent: bool = True) -> None:
        """A bounce (RFC 3464 DSN) for mail we sent about this ticket: recorded, never a reply."""
        if not self.exists:
            raise StateConflictError(f"ticket {self.id} does not exist")
        if not actor.is_staff:
            raise PermissionDeniedError("only the mail gateway records delivery failures")
        self._record(ev.TicketDeliveryFailed(
            recipient=recipient.lower(), status=status, diagnostic=diagnostic[:2000],
            message_id=message_id, permanent=bool(permanent)))

    def record_activity(self, actor: Actor, *, kind: str, summary: str,
                        detail: dict[str, Any]) -> None:
        """What automation did about the ticket (SLA, rules, pages), shown to staff only."""
        if not self.exists:
            raise StateConflictError(f"ticket {self.id} does not exist")
        if not actor.is_staff:
            raise PermissionDeniedError("only staff and the hub's own services record activity")
        if not kind or len(kind) > 64 or len(summary) > 500:
            raise ValidationError("activity needs a kind (64 chars) and a summary (500 chars)")
        self._record(ev.TicketActivityRecorded(kind=kind, summary=summary, detail=detail))

    # -- helpers ------------------------------------------------------------------
    @staticmethod
    def _check_create_fields(actor: Actor, queue: QueueSpec, *, owner: str | None,
                             status: str | None, priority: Any, due: Any, admincc: Any,
                             fields: dict[str, Any] | None) -> None:
        """RT's rule at create: only what the creator could change afterwards may be
        set; anything else is refused by name (never silently dropped or applied)."""
        def refuse(name: str, right: str) -> None:
            raise PermissionDeniedError(f"setting {name} needs the right {right}",
                                        field=name, right=right)

        modify = actor.can("ModifyTicket")
        if owner is not None and not modify and not (
                owner == actor.name and (actor.can("OwnTicket") or actor.can("TakeTicket"))):
            refuse("owner", "ModifyTicket")
        for name, value in (("status", status), ("priority", priority), ("due", due)):
            if value is not None and not modify:
                refuse(name, "ModifyTicket")
        if admincc and not modify:
            refuse("admincc", "ModifyTicket")
        for name in fields or {}:
            spec = queue.field(name) if isinstance(name, str) else None
            if spec is not None and spec.internal and not actor.can("SeeInternalFields"):
                refuse(f"fields.{name}", "SeeInternalFields")

    def _require_live(self) -> None:
        if not self.exists:
            raise StateConflictError(f"ticket {self.id} does not exist")
        if self.merged_into is not None:
            raise StateConflictError(f"ticket {self.id} was merged into {self.merged_into}",
                                     merged_into=self.merged_into)

    def _check_body(self, body: str) -> None:
        if not isinstance(body, str) or not body.strip():
            raise ValidationError("the message body is empty")
        if len(body) > MAX_BODY:
            raise ValidationError("the message body is too long")

    def _clean_fields(self, queue: QueueSpec, values: dict[str, Any],
                      creating: bool) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise ValidationError("fields is an object of custom field values")
        out: dict[str, Any] = {}
        for name, value in values.items():
            spec = queue.field(name)
            if spec is None:
                raise ValidationError(f"queue {queue.name} has no custom field {name!r}")
            out[name] = spec.clean(value)
        if creating:
            for spec in queue.custom_fields:
                if spec.required and out.get(spec.name) is None:
                    raise ValidationError(f"field {spec.name!r} is required", field=spec.name)
        return out
