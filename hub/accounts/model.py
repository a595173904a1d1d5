"""User accounts as an aggregate; secrets are kept out of the event stream."""

from __future__ import annotations

import re
from typing import Any

from hub.accounts import events as ev
from hub.actors import Actor
from hub.domain import Aggregate, PermissionDeniedError, StateConflictError, ValidationError

ROLES = ("admin", "staff", "customer")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@+-]{0,99}$")
EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


def clean_email(email: object) -> str:
    """An address as stored (lower case), or a 422 naming what is wrong."""
    value = email.strip().lower() if isinstance(email, str) else ""
    if len(value) > 254 or not EMAIL.match(value):
        raise ValidationError(f"{email!r} is not an email address", field="email")
    return value


class User(Aggregate):
    stream_prefix = "user"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.email = ""
        self.role = "customer"
        self.display_name = ""
        self.disabled = False
        self.source = "local"  # or "directory": name, mail and role follow the entry
        self.tokens: dict[str, str] = {}  # token id -> name (active only)
        self.contacts: dict[str, Any] = {}
        self.quiet_hours: dict[str, Any] | None = None

    def create(self, actor: Actor, *, email: str, role: str, display_name: str = "",
               source: str | None = None) -> None:
        if not actor.can("AdminUsers"):
            raise PermissionDeniedError("creating users needs AdminUsers")
        if self.exists:
            raise StateConflictError(f"user {self.id} already exists")
        if not USERNAME.match(self.id):
            raise ValidationError("user names are lower-case letters, digits and . _ @ + -")
        if role not in ROLES:
            raise ValidationError(f"role is one of {list(ROLES)}")
        if source not in (None, "directory"):
            raise ValidationError("an account's source is local or directory")
        self._record(ev.UserCreated(name=self.id, email=clean_email(email), role=role,
                                    display_name=display_name or self.id, source=source))

    def change(self, actor: Actor, **changes: Any) -> None:
        if not actor.can("AdminUsers"):
            raise PermissionDeniedError("changing users needs AdminUsers")
        allowed = {"email", "role", "display_name", "disabled"}
        if set(changes) - allowed:
            raise ValidationError(f"unknown user settings: {sorted(set(changes) - allowed)}")
        if "role" in changes and changes["role"] not in ROLES:
            raise ValidationError(f"role is one of {list(ROLES)}")
        if "email" in changes:
            changes["email"] = clean_email(changes["email"])
        if "disabled" in changes and not isinstance(changes["disabled"], bool):
            raise ValidationError("disabled is true or false")
        self._record(ev.UserChanged(changes=changes))

    def password_set(self, actor: Actor) -> None:
        if actor.name != self.id and not actor.can("AdminUsers"):
            raise PermissionDeniedError("setting another user's password needs AdminUsers")
        self._record(ev.UserPasswordSet())

    def token_created(self, actor: Actor, token_id: str, name: str) -> None:
        if actor.name != self.id and not actor.can("AdminUsers"):
            raise PermissionDeniedError("creating tokens for others needs AdminUsers")
        self._record(ev.ApiTokenCreated(token_id=token_id, name=name))

    def token_revoked(self, actor: Actor, token_id: str) -> None:
        if actor.name != self.id and not actor.can("AdminUsers"):
            raise PermissionDeniedError("revoking others' tokens needs AdminUsers")
        if token_id not in self.tokens:
            raise StateConflictError("no such active token")
        self._record(ev.ApiTokenRevoked(token_id=token_id))

    def set_contacts(self, actor: Actor, contacts: dict[str, Any],
                     quiet_hours: dict[str, Any] | None) -> None:
        """The user themselves or an admin; values are validated by the caller
        (:mod:`hub.accounts.contacts`), ``None`` in ``contacts`` removes a channel."""
        if actor.name != self.id and not actor.can("AdminUsers"):
            raise PermissionDeniedError("changing another user's contacts needs AdminUsers")
        if contacts.get("webhook") and not actor.is_staff:
            # the hub POSTs to that URL from inside the network: no customer chooses where
            raise PermissionDeniedError("only staff (or an admin for them) set a webhook contact")
        merged = {k: v for k, v in {**self.contacts, **contacts}.items() if v is not None}
        if merged == self.contacts and quiet_hours == self.quiet_hours:
            return
        self._record(ev.UserContactsChanged(contacts=merged, quiet_hours=quiet_hours))

    def _on_UserContactsChanged(self, d: dict[str, Any]) -> None:
        self.contacts = dict(d["contacts"])
        self.quiet_hours = d.get("quiet_hours")

    def _on_UserCreated(self, d: dict[str, Any]) -> None:
        self.email, self.role, self.display_name = d["email"], d["role"], d["display_name"]
        self.source = d.get("source") or "local"

    def _on_UserChanged(self, d: dict[str, Any]) -> None:
        for key, value in d["changes"].items():
            setattr(self, key, value)

    def _on_ApiTokenCreated(self, d: dict[str, Any]) -> None:
        self.tokens[d["token_id"]] = d["name"]

    def _on_ApiTokenRevoked(self, d: dict[str, Any]) -> None:
        self.tokens.pop(d["token_id"], None)

    def second_factor_changed(self, actor: Actor, event: ev.SecondFactorEnrolmentStarted
                              | ev.SecondFactorEnrolled | ev.SecondFactorRemoved
                              | ev.RecoveryCodeUsed) -> None:
        """Record a fact about the user's second factor; the secret itself is sealed
        outside the event stream (:mod:`hub.accounts.totp_handlers` checks codes)."""
        if actor.name != self.id and not actor.can("AdminUsers"):
            raise PermissionDeniedError("another user's second factor needs AdminUsers")
        self._record(event)
