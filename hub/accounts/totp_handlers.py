"""Second-factor commands: enrol, confirm, remove, and the sign-in's code check.

Events say only *that* something happened to a user's second factor (enrolment
started, enrolled, removed, a recovery code used); the secret is sealed with the
hub's key in ``totp_factors`` and the recovery codes are argon2 hashes, written in
the command's own transaction. Nothing here logs a secret or a code.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from hub.accounts import commands as c
from hub.accounts import events as ev
from hub.accounts import totp
from hub.accounts import totp_store as store
from hub.accounts.model import User
from hub.actors import Actor
from hub.config import Settings
from hub.domain import StateConflictError, ValidationError
from hub.eventstore import utcnow
from hub.messagebus import MessageBus, UnitOfWork

log = logging.getLogger(__name__)

METHOD = "totp"
STAFF_ROLES = ("admin", "staff")


class SecondFactorHandlers:
    """The handlers, holding the key box and the site's policy."""

    def __init__(self, settings: Settings) -> None:
        self.box = totp.SecretBox(settings.secret_key)
        self.issuer = settings.site_name or "OpsHub"
        self.required_for_staff = settings.require_totp_for_staff

    def start(self, cmd: c.StartTotpEnrolment, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        if uow.meta.idempotency_key is not None:
            raise ValidationError("a TOTP enrolment is never repeated from a stored result")
        user = uow.get(User, cmd.name)
        user.second_factor_changed(actor, ev.SecondFactorEnrolmentStarted(method=METHOD))
        secret = totp.new_secret()
        codes = totp.new_recovery_codes()
        replaces = store.factor(uow.conn, user.id, store.ACTIVE) is not None
        store.start(uow.conn, user.id, self.box.seal(user.id, secret),
                    [code.hashed for code in codes], utcnow())
        log.info("second factor enrolment started for %s by %s", user.id, actor.name)
        return {"secret": secret, "secret_grouped": totp.grouped(secret),
                "uri": totp.provisioning_uri(secret, user.id, self.issuer),
                "recovery_codes": [code.plain for code in codes], "replaces": replaces,
                "issuer": self.issuer}

    def confirm(self, cmd: c.ConfirmTotpEnrolment, uow: UnitOfWork,
                actor: Actor) -> dict[str, Any]:
        user = uow.get(User, cmd.name)
        pending = store.factor(uow.conn, user.id, store.PENDING)
        if pending is None:
            raise StateConflictError(f"no TOTP enrolment of {user.id} waits for a code "
                                     f"(start one: hub user totp {user.id})")
        secret = self._open(user.id, pending.secret_box)
        step = totp.matching_step(secret, totp.clean_code(cmd.code), totp.now())
        if step is None:
            raise ValidationError("that code does not match: enter the 6 digits the app "
                                  "shows now (and check the phone's clock)", field="code")
        store.activate(uow.conn, user.id, step, utcnow())
        left = len(store.unused_codes(uow.conn, user.id))
        user.second_factor_changed(actor, ev.SecondFactorEnrolled(method=METHOD,
                                                                  recovery_codes=left))
        log.info("second factor of %s confirmed", user.id)
        return {"name": user.id, "recovery_codes_left": left}

    def remove(self, cmd: c.RemoveSecondFactor, uow: UnitOfWork,
               actor: Actor) -> dict[str, Any]:
        user = uow.get(User, cmd.name)
        if store.info(uow.conn, user.id).state == "off":
            raise StateConflictError(f"{user.id} has no second factor")
        own = actor.name == user.id and not actor.is_system
        if own and store.factor(uow.conn, user.id, store.ACTIVE):
            if self.required_for_staff and user.role in STAFF_ROLES:
                raise StateConflictError("staff must keep a second factor here: set up a "
                                         "new one to replace it instead")
            outcome = self._verify(uow.conn, user.id, cmd.code or "")
            if not outcome["ok"]:
                raise ValidationError("removing the second factor needs a current code "
                                      "(or a recovery code)", field="code")
        user.second_factor_changed(actor, ev.SecondFactorRemoved(method=METHOD))
        had_active = store.remove(uow.conn, user.id)
        log.info("second factor of %s removed by %s", user.id, actor.name)
        return {"name": user.id, "removed": had_active}

    def check(self, cmd: c.CheckSecondFactor, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        user = uow.get(User, cmd.name)
        outcome = self._verify(uow.conn, user.id, cmd.code)
        if outcome.get("reason") == "recovery":
            user.second_factor_changed(actor, ev.RecoveryCodeUsed(
                remaining=int(outcome["remaining"])))
        if outcome["ok"]:
            log.info("second factor of %s accepted (%s)", user.id, outcome["reason"])
        else:
            log.warning("second factor of %s refused (%s)", user.id, outcome["reason"])
        return outcome

    def _open(self, name: str, box: str) -> str:
        try:
            return self.box.open(name, box)
        except totp.SecretUnreadableError as exc:
            log.error("%s", exc)
            raise StateConflictError(str(exc)) from exc

    def _verify(self, conn: sa.Connection, name: str, raw: str) -> dict[str, Any]:
        """Check a code against the active factor, using it up when it is accepted."""
        active = store.factor(conn, name, store.ACTIVE)
        if active is None:
            return {"ok": False, "reason": "not_enrolled"}
        code = totp.clean_code(raw)
        if totp.looks_like_totp(code):
            try:
                secret = self.box.open(name, active.secret_box)
            except totp.SecretUnreadableError as exc:
                log.error("%s", exc)
                return {"ok": False, "reason": "unreadable"}
            step = totp.matching_step(secret, code, totp.now())
            if step is None:
                return {"ok": False, "reason": "wrong"}
            if not store.claim_step(conn, name, step):
                return {"ok": False, "reason": "replayed"}
            return {"ok": True, "reason": "totp"}
        if len(code) == 10 and set(code) <= set(totp.RECOVERY_ALPHABET):
            unused = store.unused_codes(conn, name)
            for code_id, hashed in unused:
                if totp.recovery_code_matches(hashed, code) and store.use_code(
                        conn, code_id, utcnow()):
                    return {"ok": True, "reason": "recovery", "remaining": len(unused) - 1}
        return {"ok": False, "reason": "wrong"}


def register(bus: MessageBus, settings: Settings) -> None:
    handlers = SecondFactorHandlers(settings)
    bus.register(c.StartTotpEnrolment, handlers.start)
    bus.register(c.ConfirmTotpEnrolment, handlers.confirm)
    bus.register(c.RemoveSecondFactor, handlers.remove)
    bus.register(c.CheckSecondFactor, handlers.check)
