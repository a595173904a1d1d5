"""Mail notifications through the mail feature's outbox (never SMTP from here).

Mail about a ticket carries the ticket's tag and a Reply-To signed for its recipient
(see :func:`compose`), so a reply reaches the ticket as that person's.
The message is queued once (the outbox's dedupe key is the delivery's id); the
notification is delivered when the outbox says the smarthost took it, failed when the
outbox gave up on it or an admin discarded it, and waits (not counted as an attempt)
while the outbox holds or retries it.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from hub.bootstrap import Hub
from hub.channels.transport import Delivery, DeliveryError, Pending
from hub.db import WRITE
from hub.mail import commands as mc
from hub.mail import queries as mq
from hub.tickets import queries as tq

CHECK_AGAIN = dt.timedelta(seconds=15)


def outbox_key(d: Delivery) -> str:
    return f"channel:{d.id}"


def _ticket_addresses(hub: Hub, d: Delivery) -> tuple[str, str] | None:
    """``(From, Reply-To)`` for mail about ticket ``d.ticket_id``, or None without one.

    A recipient who may read the ticket's comments (staff) gets the queue's comment
    address and a reply address signed for them in its comment form, so their reply
    (``ACK``, a note) stays internal and counts as theirs; anyone else gets the
    correspond forms. Both come from the ticket's queue as the ticket desk knows it.
    """
    if d.ticket_id is None:
        return None
    settings = hub.settings
    with hub.engine.connect() as conn:
        brief = tq.ticket_brief(conn, d.ticket_id)
        if brief is None:
            return None
        queue = tq.find_queue(conn, brief.queue)
        state = tq.state_of(hub.store.read_stream(conn, f"ticket-{brief.id}"))
        comment = state is not None and tq.may_receive_comments(conn, state, d.address)
    configured = (queue.comment_address if comment else queue.address) if queue else ""
    local = "-".join(brief.queue.lower().split()) + ("-comment" if comment else "")
    from_addr = configured or f"{local}@{settings.mail_domain}"
    reply_to = mq.ticket_reply_address(settings, brief.queue, brief.id, d.address,
                                       comment=comment)
    return from_addr, reply_to


def compose(hub: Hub, d: Delivery) -> EmailMessage:
    """The notification as mail: about a ticket, it carries the ticket's tag and comes
    from its queue with a Reply-To signed for the recipient, so replying works (an
    ``ACK`` reply acknowledges a page); otherwise it comes from ``notifications@``."""
    settings = hub.settings
    msg = EmailMessage()
    addresses = _ticket_addresses(hub, d)
    from_addr = addresses[0] if addresses else f"notifications@{settings.mail_domain}"
    msg["From"] = formataddr(("OpsHub", from_addr))
    msg["To"] = d.address
    if addresses:
        msg["Reply-To"] = addresses[1]
    subject = " ".join((d.subject or d.text[:60]).split())
    if d.ticket_id is not None:
        subject = mq.tagged_subject(settings, subject, d.ticket_id)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid("notify", domain=settings.mail_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if d.urgent:
        msg["Importance"] = "high"
    text = d.text
    link = f"{settings.public_url}/tickets/{d.ticket_id}"
    if d.ticket_id is not None and link not in text:
        text += f"\n\n{link}\n"
    msg.set_content(text, charset="utf-8")
    return msg


class MailTransport:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def send(self, d: Delivery) -> str:
        key = outbox_key(d)
        with self.hub.engine.connect() as conn:
            state = mq.outbox_state(conn, key)
        if state is None:
            with self.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
                mc.enqueue_message(conn, compose(self.hub, d), settings=self.hub.settings,
                                   dedupe_key=key, kind="notification",
                                   ticket_id=d.ticket_id)
                state = mq.outbox_state(conn, key)
            wakeup = self.hub.services.get("mail.outbox_wakeup")
            if wakeup is not None:
                wakeup.set()
        if state is None:
            raise DeliveryError("the mail outbox did not take the message")
        outcome, error = state
        if outcome == "sent":
            return "taken by the smarthost"
        if outcome in ("failed", "discarded"):
            raise DeliveryError(f"mail outbox: {outcome}: {error or ''}".strip(),
                                permanent=True)
        raise Pending(f"mail outbox: {outcome}" + (f" ({error})" if error else ""),
                      CHECK_AGAIN)
