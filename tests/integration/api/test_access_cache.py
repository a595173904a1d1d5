"""Cached access profiles: cheap on every request, never stale after a change.

A profile is kept per process under the access mark, which every change to grants,
groups or memberships raises in its own transaction. The tests change rights from
*another* engine (as another process would) and from another process against a
running multi-worker server, and check that the very next request sees the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa
from hub_support import Server, add_user, make_token

from hub.accounts import commands as ac
from hub.accounts.queries import actor_for_token, rights_for
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.db import make_engine, writing
from hub.tickets import commands as tc

ADMIN = system_actor("cli")


def _other_process_view(hub: Hub) -> Hub:
    """A second hub on the same database with its own engine (so its own cache)."""
    return bootstrap(hub.settings, make_engine(hub.settings.sqlalchemy_url))


@contextmanager
def _statements(hub: Hub) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    sa.event.listen(hub.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(hub.engine, "before_cursor_execute", count)


def _vault(hub: Hub) -> str:
    hub.bus.handle(tc.CreateQueue(name="Vault"), ADMIN)
    add_user(hub, "bob", "staff")
    hub.bus.handle(ac.CreateGroup(name="vault"), ADMIN)
    hub.bus.handle(ac.ChangeGroupMember(group="vault", user="bob"), ADMIN)
    for right in ("SeeQueue", "ShowTicket"):  # a managed queue: staff hold only grants
        hub.bus.handle(ac.GrantRight(scope="Vault", principal="group:vault", right=right),
                       ADMIN)
    return make_token(hub, "bob")


def _rights(hub: Hub, token: str) -> frozenset[str]:
    with hub.engine.connect() as conn:
        actor = actor_for_token(conn, token)
    assert actor is not None
    return rights_for(actor, queue="Vault")


def test_a_cached_profile_costs_one_query_and_follows_changes_made_elsewhere(
        any_hub: Hub) -> None:
    token = _vault(any_hub)
    assert "ShowTicket" in _rights(any_hub, token)
    with _statements(any_hub) as seen:
        assert "ShowTicket" in _rights(any_hub, token)
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1, seen

    other = _other_process_view(any_hub)
    try:
        other.bus.handle(ac.RevokeRight(scope="Vault", principal="group:vault",
                                        right="ShowTicket"), ADMIN)
        assert "ShowTicket" not in _rights(any_hub, token)  # the very next request
        other.bus.handle(ac.GrantRight(scope="Vault", principal="user:bob",
                                       right="ShowTicket"), ADMIN)
        assert "ShowTicket" in _rights(any_hub, token)
        other.bus.handle(ac.GrantRight(scope="Vault", principal="group:vault",
                                       right="ModifyTicket"), ADMIN)
        assert "ModifyTicket" in _rights(any_hub, token)
        other.bus.handle(ac.ChangeGroupMember(group="vault", user="bob", add=False), ADMIN)
        assert "ModifyTicket" not in _rights(any_hub, token)
    finally:
        other.engine.dispose()


def test_a_rebuild_of_the_access_tables_keeps_profiles_right(any_hub: Hub) -> None:
    token = _vault(any_hub)
    assert "ShowTicket" in _rights(any_hub, token)
    with writing(any_hub.engine) as conn:
        any_hub.runner.rebuild(conn, ["access"])
    assert "ShowTicket" in _rights(any_hub, token)
    any_hub.bus.handle(ac.RevokeRight(scope="Vault", principal="group:vault",
                                      right="ShowTicket"), ADMIN)
    assert "ShowTicket" not in _rights(any_hub, token)


def test_a_revoked_grant_locks_out_every_web_worker_at_once(tmp_path: Path,
                                                            server: tuple[Server, Hub]) -> None:
    srv, hub = server
    token = _vault(hub)
    admin = make_token(hub, "admin")
    created = requests.post(srv.url + "/api/v1/tickets", timeout=30,
                            headers={"Authorization": f"Bearer {admin}"},
                            json={"queue": "Vault", "subject": "root passwords"})
    assert created.status_code == 201, created.text
    path = f"{srv.url}/api/v1/tickets/{created.json()['id']}"

    def statuses(count: int) -> set[int]:
        # Fresh connections, so the requests spread over the server's workers.
        return {requests.get(path, timeout=30, headers={"Authorization": f"Bearer {token}"})
                .status_code for _ in range(count)}

    assert statuses(20) == {200}  # every worker now holds the profile
    hub.bus.handle(ac.RevokeRight(scope="Vault", principal="group:vault",
                                  right="ShowTicket"), ADMIN)  # this process, not the server
    assert statuses(20) == {404}
    hub.bus.handle(ac.GrantRight(scope="Vault", principal="group:vault",
                                 right="ShowTicket"), ADMIN)
    assert statuses(20) == {200}
    hub.bus.handle(ac.ChangeGroupMember(group="vault", user="bob", add=False), ADMIN)
    assert statuses(20) == {404}
