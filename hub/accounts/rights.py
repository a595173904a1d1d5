"""Rights as Request Tracker names them, granted by role and by ticket role.

Admins hold every right; staff every ticket right in every queue; customers act
through the ticket roles they hold (Requestor, Cc) and may open tickets in
queues that allow it.
"""

from __future__ import annotations

from hub.actors import Actor

TICKET_RIGHTS = frozenset({
    "SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
    "ShowTicketComments", "ModifyTicket", "OwnTicket", "TakeTicket", "StealTicket",
    "ResolveTicket", "DeleteTicket", "ModifyCustomField", "SeeInternalFields",
})
ADMIN_RIGHTS = frozenset({"AdminQueue", "AdminUsers"})
REQUESTOR_RIGHTS = frozenset({"ShowTicket", "ReplyToTicket", "ResolveTicket"})
CC_RIGHTS = frozenset({"ShowTicket", "ReplyToTicket"})


def rights_for(actor: Actor, *, ticket_roles: set[str] | None = None,
               customers_may_create: bool = True) -> frozenset[str]:
    """The rights ``actor`` holds on one queue (and on one ticket when roles are given)."""
    if actor.is_system or actor.role == "admin":
        return TICKET_RIGHTS | ADMIN_RIGHTS
    if actor.role == "staff":
        return TICKET_RIGHTS - {"DeleteTicket"}
    granted: set[str] = set()
    if customers_may_create:
        granted.add("CreateTicket")
    roles = ticket_roles or set()
    if "requestors" in roles:
        granted |= REQUESTOR_RIGHTS
    if "cc" in roles:
        granted |= CC_RIGHTS
    return frozenset(granted)
