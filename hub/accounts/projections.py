"""Users and token listings projected from account events."""

from __future__ import annotations

import sqlalchemy as sa

from hub.accounts.acl import raise_access_mark
from hub.accounts.tables import (
    acl_grants,
    api_tokens,
    group_members,
    groups,
    user_contacts,
    users,
)
from hub.eventstore import StoredEvent
from hub.projections import TableProjection


class AccountsProjection(TableProjection):
    name = "accounts"
    tables = (users, api_tokens)
    prefixes = ("user-",)

    def on_UserCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(users).values(
            name=e.data["name"], email=e.data["email"], role=e.data["role"],
            display_name=e.data["display_name"], disabled=False,
            source=e.data.get("source") or "local"))

    def on_UserChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        name = e.stream_id.split("-", 1)[1]
        conn.execute(sa.update(users).where(users.c.name == name).values(**e.data["changes"]))

    def on_ApiTokenCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(api_tokens).values(
            token_id=e.data["token_id"], username=e.stream_id.split("-", 1)[1],
            name=e.data["name"], created_at=e.at))

    def on_ApiTokenRevoked(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.update(api_tokens).where(api_tokens.c.token_id == e.data["token_id"])
                     .values(revoked_at=e.at))


class ContactsProjection(TableProjection):
    """Each user's channel addresses and quiet hours, with the XMPP and SMS addresses in
    their own indexed columns so an inbound reply finds its sender in one lookup."""

    name = "user_contacts"
    tables = (user_contacts,)
    prefixes = ("user-",)

    def on_UserContactsChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        name = e.stream_id.split("-", 1)[1]
        contacts = e.data["contacts"]
        conn.execute(sa.delete(user_contacts).where(user_contacts.c.name == name))
        conn.execute(sa.insert(user_contacts).values(
            name=name, contacts=contacts, quiet_hours=e.data.get("quiet_hours"),
            xmpp=contacts.get("xmpp"), sms=contacts.get("sms")))


class AccessProjection(TableProjection):
    """Groups, members and grants: the tables every request's profile is read from.

    Each change raises the access mark in the same transaction, which is what tells
    every process that its cached profiles are out of date (:mod:`hub.accounts.acl`).
    """

    name = "access"
    tables = (groups, group_members, acl_grants)
    prefixes = ("group-", "acl-")

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None:
        super().apply(conn, event)
        raise_access_mark(conn)

    def on_GroupCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(groups).values(name=e.data["name"],
                                              description=e.data["description"]))

    def on_GroupMemberAdded(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(group_members).values(
            group_name=e.stream_id.split("-", 1)[1], username=e.data["user"]))

    def on_GroupMemberRemoved(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.delete(group_members).where(
            group_members.c.group_name == e.stream_id.split("-", 1)[1],
            group_members.c.username == e.data["user"]))

    def on_RightGranted(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(acl_grants).values(
            scope=e.data["scope"], principal=e.data["principal"], right_name=e.data["right"]))

    def on_RightRevoked(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.delete(acl_grants).where(
            acl_grants.c.scope == e.data["scope"], acl_grants.c.principal == e.data["principal"],
            acl_grants.c.right_name == e.data["right"]))
