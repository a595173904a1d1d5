"""Who a message is from, as the pipeline acts on it, and what identifies its content.

Split from :mod:`hub.mail.pipeline` so the decisions there stay readable: the
:class:`Sender` (verified user, or the bare address acting for itself), the content key
every bus command's idempotency key derives from, and the address shape we accept.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from hub.actors import Actor
from hub.mail.authentication import Identity
from hub.mail.parsing import ParsedMail

#: An address: ``root@localhost`` is one too (no dot needed); ``""`` and ``<>`` are not.
ADDR = re.compile(r"^[^@\s<>\"]+@[^@\s<>.\"][^@\s<>\"]*$")
#: Watchers one message may add (To/Cc beyond our own addresses); the rest are dropped.
MAX_CC_PER_MESSAGE = 20


@dataclass(frozen=True)
class Sender:
    address: str | None
    actor: Actor
    known: bool  # an enabled user account has this address
    identity: Identity | None = None  # what the hub verified about the sender
    staff: bool = False  # the user with this address is staff (verified or not)

    @property
    def authenticated(self) -> bool:
        return self.identity is not None and self.identity.authenticated

    @property
    def may_instruct(self) -> bool:
        """Staff writing to their own signed reply address (and, when required, with a
        trusted relay's pass) may put ``Status:``-style instructions in their replies;
        each one is then checked by the handler of the command it becomes."""
        return (self.known and self.actor.is_staff and self.identity is not None
                and self.identity.may_command)

    def refusal(self) -> str:
        if not (self.known and self.staff) or self.identity is None:
            return ("commands are only applied when staff reply to their own reply address "
                    "of the ticket; your message was added without them")
        return self.identity.why_not() + "; your message was added without them"


def content_key(parsed: ParsedMail) -> str:
    """Message-ID plus a digest of what the message says (not of transport headers)."""
    digest = hashlib.sha256()
    for part in (parsed.message_id, parsed.from_addr or "", parsed.subject, parsed.text,
                 parsed.html or "", *(hashlib.sha256(a.content).hexdigest()
                                      for a in parsed.attachments)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()[:32]


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
