"""Process one stored inbound message into bus commands.

Order of decisions: our own mail coming back is dropped; bounces are recorded on
their ticket; Nagios notification mail becomes an alert; a reply is threaded to
its ticket (signed reply address, our Message-ID, subject tag); anything else
opens a ticket. Every bus command carries an idempotency key derived from the
Message-ID and the content, so processing a message twice changes nothing.

Mail is an entrypoint: it only translates. Who the sender is (and with which access
profile) is accounts' answer (``actor_for_email``), what a ticket is and whether a
reply reopens it or opens a new one are the tickets' (``hub.tickets.queries``), and
every change is another feature's bus command.

A ``From:`` line proves nothing: a message is attributed to a user only when
:mod:`hub.mail.authentication` verified its sender. Unverified mail acts as its bare
address (a customer-like actor with only the rights that address holds on the ticket)
and is recorded with ``"authenticated": false``; it never adds Cc watchers unless the
queue says ``add_cc_watchers``, and never applies mail commands. Secrets named on
``Run:`` lines are masked in everything derived from the message.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.accounts.queries import actor_for_email
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.db import WRITE
from hub.db_outage import database_unavailable
from hub.domain import DomainError, NotFoundError, PermissionDeniedError
from hub.eventstore import utcnow
from hub.mail import messages
from hub.mail.addresses import Target
from hub.mail.apply import RunMask, apply_commands
from hub.mail.authentication import Identity, identify
from hub.mail.bounces import record_bounce
from hub.mail.commands import enqueue
from hub.mail.inbox import InboxItem, blobs
from hub.mail.instructions import parse_commands
from hub.mail.loops import may_autoreply
from hub.mail.notifier import autoreply_limits
from hub.mail.outbound import autoreply_permitted
from hub.mail.parsing import ParsedMail, parse_message
from hub.mail.salvage import admin_ticket, fit, unverified_comment
from hub.mail.senders import ADDR as _ADDR
from hub.mail.senders import MAX_CC_PER_MESSAGE, Sender, content_key, jsonable
from hub.mail.threading import find_ticket_tag, ticket_from_message_id
from hub.ops import commands as ops_commands
from hub.ops.queries import parse_nagios_email
from hub.tickets import commands as tc
from hub.tickets import queries as tq

log = logging.getLogger(__name__)
GATEWAY = system_actor("email", "mail-gateway")
Outcome = tuple[str, dict[str, Any] | None, str | None, str | None]


class _NoRoleError(Exception):
    """The sender holds no role on the ticket its mail threads to (raised by ``_reply``)."""

    def __init__(self, ticket_id: int, error: DomainError) -> None:
        super().__init__(error.message)
        self.ticket_id, self.error = ticket_id, error


class Pipeline:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.book = messages.address_book(hub)

    def process(self, item: InboxItem) -> Outcome:
        """The outcome ``(state, result, error, message_id)``; raises only when the
        database is unavailable (``hub.db_outage``), never parking mail for that."""
        message_id = None
        mask = RunMask("")
        raw: bytes | None = None
        parsed: ParsedMail | None = None
        try:
            raw = blobs(self.hub).get(item.sha256)
            parsed = parse_message(raw, envelope_from=item.mail_from,
                                   encodings=self.hub.settings.mail_input_encodings)
            message_id = parsed.message_id
            mask = RunMask(parsed.text)
            return "processed", self._process(item, raw, parsed, mask), None, message_id
        except DomainError as exc:
            error = mask(exc.message)
            log.warning("inbound mail %s refused: %s", item.id, error)
        except Exception as exc:
            if database_unavailable(exc):
                raise  # nothing is wrong with the message: it is processed again later
            error = mask(f"{type(exc).__name__}: {exc}")
            log.error("inbound mail %s could not be processed: %s", item.id, error,
                      exc_info=not mask.secrets)
        return "failed", self._park(item, raw, parsed, error), error, message_id

    def _park(self, item: InboxItem, raw: bytes | None, parsed: ParsedMail | None,
              error: str) -> dict[str, Any] | None:
        """A message that failed still becomes a ticket, in the admin queue, with the
        original attached; the row stays ``failed`` so ``hub mail retry`` can redo it."""
        if raw is None:
            return None
        key = content_key(parsed) if parsed is not None else item.sha256[:32]
        try:
            ticket_id = admin_ticket(self.hub, item, raw, parsed, error, key)
        except Exception:
            log.exception("inbound mail %s: no admin-queue ticket either", item.id)
            return None
        return {"action": "admin_queue", "ticket_id": ticket_id}

    def _process(self, item: InboxItem, raw: bytes, parsed: ParsedMail,
                 mask: RunMask) -> dict[str, Any]:
        targets = [t for r in item.rcpts if (t := self.book.resolve(r)) is not None]
        if not targets:
            raise NotFoundError("no recipient of this message is one of our addresses")
        key = content_key(parsed)
        parsed, moved = fit(parsed, raw)
        if parsed.loop and parsed.loop.strip().lower() == self.hub.settings.mail_domain.lower():
            return {"action": "ignored", "reason": "our own mail came back (loop header)"}
        bounce_targets = [t for t in targets if t.bounce is not None]
        if parsed.is_dsn or bounce_targets:
            return record_bounce(self.hub, raw, item.mail_from, bounce_targets, key)
        allowed, reason = may_autoreply(parsed, item.mail_from, self.book.own_addresses(),
                                        [self.hub.settings.mail_domain])
        target, ticket_id = self._thread(parsed, targets)
        if ticket_id is None:
            alert = self._nagios(parsed, key)
            if alert is not None:
                return alert
        identity = identify(parsed, item.mail_from, target, self.hub.settings)
        sender = self._sender(parsed, item, identity)
        extra = self._extra(parsed, sender, allowed, reason, mask)
        if ticket_id is not None:
            row = self._ticket_row(ticket_id)
            if row is not None:
                try:
                    out = self._reply(parsed, target, row, sender, extra, key, allowed, mask)
                except _NoRoleError as refused:
                    out = self._hold(item, raw, parsed, sender, extra, key, mask, refused)
                return {**out, "moved": moved} if moved else out
        out = self._create(parsed, target.queue, sender, extra, key, mask)
        return {**out, "moved": moved} if moved else out

    def _hold(self, item: InboxItem, raw: bytes, parsed: ParsedMail, sender: Sender,
              extra: dict[str, Any], key: str, mask: RunMask,
              refused: _NoRoleError) -> dict[str, Any]:
        """Mail to a ticket from a sender without a role on it: kept, applying nothing.

        A staff address, or someone the ticket knows (the ticket was visible, only the
        right was missing), gets a private comment marked as unverified; anyone else's
        mail (customers of other tickets included: a From line is easily forged) becomes
        an admin-queue ticket, so a leaked reply address adds nothing to the ticket.
        No notice goes back: it would tell the sender the subject.
        """
        ticket_id, reason = refused.ticket_id, mask(refused.error.message)
        trusted = sender.staff or isinstance(refused.error, PermissionDeniedError)
        if sender.address and trusted:
            unverified_comment(self.hub, ticket_id, sender.address, mask.body(parsed.text),
                               extra, key, sender.authenticated)
            return {"action": "comment", "ticket_id": ticket_id, "unverified": True,
                    "reason": reason}
        problem = (f"{sender.address or 'an unknown sender'} holds no role on ticket "
                   f"#{ticket_id} ({reason})")
        admin = admin_ticket(self.hub, item, raw, parsed, problem, key, for_ticket=ticket_id)
        return {"action": "admin_queue", "ticket_id": admin, "for_ticket": ticket_id}

    # -- threading ------------------------------------------------------------------
    def _thread(self, parsed: ParsedMail, targets: list[Target]) -> tuple[Target, int | None]:
        plain = [t for t in targets if t.bounce is None]
        for t in plain:
            if t.signed and t.ticket_id is not None and self._ticket_row(t.ticket_id):
                return t, t.ticket_id
        settings = self.hub.settings
        for msgid in (parsed.in_reply_to, *parsed.references):
            if msgid:
                found = ticket_from_message_id(msgid, settings.mail_domain, settings.secret_key)
                if found is not None and self._ticket_row(found):
                    return plain[0], found
        tagged = find_ticket_tag(parsed.subject, settings.ticket_tag)
        if tagged is not None and self._ticket_row(tagged):
            return plain[0], tagged
        return plain[0], None

    def _ticket_row(self, ticket_id: int) -> tq.TicketBrief | None:
        """The ticket (following merges to the survivor), or ``None`` if there is none."""
        with self.hub.engine.connect() as conn:
            try:
                return tq.ticket_brief(conn, tq.resolve_id(conn, ticket_id))
            except NotFoundError:
                return None

    # -- who ------------------------------------------------------------------------
    def _sender(self, parsed: ParsedMail, item: InboxItem, identity: Identity) -> Sender:
        """The user behind a verified sender; otherwise the bare address acts."""
        address = (parsed.from_addr or item.mail_from or "").strip().lower() or None
        if address is None or not _ADDR.match(address) or self.book.is_ours(address):
            return Sender(None, Actor(name="unknown-sender", role="customer", source="email"),
                          False, identity)
        with self.hub.engine.connect() as conn:
            actor = actor_for_email(conn, address, "email")
        bare = Actor(name=address, email=address, role="customer", source="email")
        if actor is None:
            return Sender(address, bare, False, identity)
        staff = actor.is_staff
        if not identity.authenticated or identity.address != address:
            return Sender(address, bare, True, identity, staff)
        return Sender(address, actor, True, identity, staff)

    def _extra(self, parsed: ParsedMail, sender: Sender, allowed: bool,
               reason: str, mask: RunMask) -> dict[str, Any]:
        store = blobs(self.hub)
        attachments = [{"sha256": store.put(a.content), "filename": a.filename,
                        "content_type": a.content_type, "size": a.size,
                        "content_id": a.content_id} for a in parsed.attachments]
        return {"attachments": attachments, "message_id": parsed.message_id,
                "html": mask.body(parsed.html) if parsed.html is not None else None,
                "from": sender.address, "autoreply": allowed,
                "autoreply_reason": reason, "authenticated": sender.authenticated}

    def _watchers(self, parsed: ParsedMail, queue: str, sender: Sender,
                  requestors: list[str]) -> tuple[list[str], int]:
        """Cc watchers this message may add, and how many it named that were dropped."""
        others = list(dict.fromkeys(
            a for a in (*parsed.to, *parsed.cc)
            if _ADDR.match(a) and not self.book.is_ours(a) and a not in requestors))
        info = self.book.queues.get(queue)
        opted_in = info is not None and info.spec.get("add_cc_watchers") is True
        if not opted_in and not (sender.known and sender.authenticated):
            return [], len(others)
        return others[:MAX_CC_PER_MESSAGE], max(len(others) - MAX_CC_PER_MESSAGE, 0)

    # -- actions --------------------------------------------------------------------
    def _create(self, parsed: ParsedMail, queue: str, sender: Sender, extra: dict[str, Any],
                key: str, mask: RunMask, subject: str | None = None) -> dict[str, Any]:
        requestors = [sender.address] if sender.address else []
        cc, dropped = self._watchers(parsed, queue, sender, requestors)
        command = tc.CreateTicket(
            queue=queue, subject=(subject or parsed.subject.strip() or "(no subject)")[:500],
            body=mask.body(parsed.text), requestors=requestors, cc=cc, extra=extra)
        result = self.hub.bus.handle(command, sender.actor, idempotency_key=f"mail:{key}:new")
        out: dict[str, Any] = {"action": "created", "ticket_id": int(result["id"])}
        if dropped:
            out["cc_ignored"] = dropped
        return out

    def _reply(self, parsed: ParsedMail, target: Target, row: tq.TicketBrief, sender: Sender,
               extra: dict[str, Any], key: str, allowed: bool,
               mask: RunMask) -> dict[str, Any]:
        ticket_id = int(row.id)
        if target.action == "correspond" and self._reopens_as_new(ticket_id):
            created = self._create(parsed, str(row.queue), sender, extra, key, mask)
            link = tc.LinkTickets(ticket_id=created["ticket_id"], kind="refers_to",
                                  target=ticket_id)
            self.hub.bus.handle(link, GATEWAY, idempotency_key=f"mail:{key}:link")
            return {**created, "refers_to": ticket_id}
        commands, rest, errors = parse_commands(parsed.text)
        body = parsed.text
        signed_row = (self._ticket_row(target.ticket_id)
                      if target.signed and target.ticket_id is not None else None)
        applicable = (signed_row is not None and signed_row.id == ticket_id
                      and sender.may_instruct)
        if commands and applicable:
            body = rest
        elif commands or errors:
            errors = [sender.refusal(), *errors]
            commands = []
        body = mask.body(body)
        result: dict[str, Any] = {"action": target.action, "ticket_id": ticket_id}
        if body.strip() or not commands:
            cls = tc.Correspond if target.action == "correspond" else tc.Comment
            text = body if body.strip() else "(message without text)"
            try:
                self.hub.bus.handle(cls(ticket_id=ticket_id, body=text, extra=extra),
                                    sender.actor, idempotency_key=f"mail:{key}:{target.action}")
            except (NotFoundError, PermissionDeniedError) as exc:
                raise _NoRoleError(ticket_id, exc) from exc
        if commands:
            applied, failed = apply_commands(self.hub, ticket_id, commands, sender.actor, key)
            errors += failed
            result["commands"] = [mask(line) for line in applied]
        if errors:
            errors = [mask(line) for line in errors]
            result["errors"] = errors
            if allowed and sender.known and sender.address:
                self._refuse(row, sender.address, errors, key)
        return result

    def _reopens_as_new(self, ticket_id: int) -> bool:
        with self.hub.engine.connect() as conn:
            return tq.reply_opens_new_ticket(conn, ticket_id)

    def _refuse(self, row: tq.TicketBrief, address: str, errors: list[str], key: str) -> None:
        ticket = {"id": row.id, "subject": row.subject, "queue": row.queue,
                  "status": row.status}
        limit, window = autoreply_limits(self.hub)
        with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            if not autoreply_permitted(conn, address, utcnow(), limit, window):
                log.info("command refusal to %s suppressed by the rate limit", address)
                return
            out = messages.plan(self.hub, kind="command_refused",
                                 key=messages.dedupe_key("mail", key, "refused"), ticket=ticket,
                                 recipient=address, position=0,
                                 context={"errors": errors, "actor": "", "body": ""},
                                 auto_submitted="auto-replied")
            enqueue(conn, out, settings=self.hub.settings)

    def _nagios(self, parsed: ParsedMail, key: str) -> dict[str, Any] | None:
        """Nagios's stock notification mail (ops reads it) becomes an alert."""
        signal = parse_nagios_email(parsed.subject, parsed.text)
        if signal is None:
            return None
        result = self.hub.bus.handle(ops_commands.ReceiveAlert(signal=signal),
                                     system_actor("email", "nagios-mail"),
                                     idempotency_key=f"mail:{key}:alert")
        return {"action": "alert", "result": jsonable(result)}
