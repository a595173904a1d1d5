"""The rules of releasing and discarding an outgoing message (OutgoingMail)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from hub.actors import Actor, system_actor
from hub.domain import PermissionDeniedError, StateConflictError
from hub.mail.model import OutgoingMail

NOW = dt.datetime(2030, 1, 1, 12, 0)
ADMIN = Actor("root", role="admin", source="web")


def _row(state: str, locked_until: dt.datetime | None = None) -> SimpleNamespace:
    return SimpleNamespace(id=7, state=state, recipient="c@example.com", kind="autoreply",
                           last_error="no smarthost configured (HUB_SMARTHOST)",
                           locked_until=locked_until)


@pytest.mark.parametrize("state", ["held", "failed"])
def test_held_or_failed_mail_is_released_with_its_reason(state: str) -> None:
    message = OutgoingMail("7")
    message.release(ADMIN, _row(state))
    (event,) = message.pending
    assert event.type == "OutgoingMailReleased"
    assert event.data == {"outbox_id": 7, "recipient": "c@example.com", "kind": "autoreply",
                          "previous": state,
                          "reason": "no smarthost configured (HUB_SMARTHOST)"}


@pytest.mark.parametrize("state", ["queued", "sent", "discarded"])
def test_other_states_are_not_released(state: str) -> None:
    with pytest.raises(StateConflictError, match=f"is {state}"):
        OutgoingMail("7").release(ADMIN, _row(state))


def test_discarded_mail_is_never_released_again() -> None:
    message = OutgoingMail("7")
    message.discard(ADMIN, _row("held"), NOW)
    with pytest.raises(StateConflictError):
        message.release(ADMIN, _row("held"))  # even if the row were held again


def test_mail_being_sent_or_sent_is_not_discarded() -> None:
    with pytest.raises(StateConflictError, match="being sent"):
        OutgoingMail("7").discard(ADMIN, _row("queued", NOW + dt.timedelta(minutes=1)), NOW)
    with pytest.raises(StateConflictError, match="is sent"):
        OutgoingMail("7").discard(ADMIN, _row("sent"), NOW)
    expired = OutgoingMail("7")
    expired.discard(ADMIN, _row("queued", NOW - dt.timedelta(minutes=1)), NOW)
    assert [e.type for e in expired.pending] == ["OutgoingMailDiscarded"]


@pytest.mark.parametrize("role", ["staff", "customer"])
def test_only_admins_and_the_system_decide(role: str) -> None:
    with pytest.raises(PermissionDeniedError):
        OutgoingMail("7").release(Actor("x", role=role), _row("held"))
    with pytest.raises(PermissionDeniedError):
        OutgoingMail("7").discard(Actor("x", role=role), _row("held"), NOW)
    OutgoingMail("7").release(system_actor("cli"), _row("held"))
