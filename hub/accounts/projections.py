"""Users and token listings projected from account events."""

from __future__ import annotations

import sqlalchemy as sa

from hub.accounts.tables import api_tokens, users
from hub.eventstore import StoredEvent
from hub.projections import TableProjection


class AccountsProjection(TableProjection):
    name = "accounts"
    tables = (users, api_tokens)
    prefixes = ("user-",)

    def on_UserCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(users).values(
            name=e.data["name"], email=e.data["email"], role=e.data["role"],
            display_name=e.data["display_name"], disabled=False))

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
