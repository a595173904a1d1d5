"""Groups and per-queue grants change what staff and customers may do, everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import Desk, api, build_desk

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.domain import PermissionDeniedError, ValidationError
from hub.tickets import commands as tc


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    built = build_desk(tmp_path)
    yield built
    built.hub.engine.dispose()


def _admin(desk: Desk, command: object) -> None:
    desk.hub.bus.handle(command, system_actor("cli"))


def test_a_managed_queue_is_closed_to_staff_outside_its_group(desk: Desk) -> None:
    _admin(desk, tc.CreateQueue(name="Network"))
    secret = desk.hub.bus.handle(tc.CreateTicket(queue="Network", subject="core switch"),
                                 system_actor("cli"))["id"]
    _admin(desk, ac.CreateGroup(name="netops"))
    _admin(desk, ac.GrantRight(scope="Network", principal="group:netops", right="ShowTicket"))
    # alice is not in netops: the queue's tickets are hidden from her on every route.
    assert desk.client("staff").get(f"/tickets/{secret}").status_code == 404
    assert b"core switch" not in desk.client("staff").get("/tickets?q=switch").data
    assert api(desk, "staff", "GET", f"/api/v1/tickets/{secret}").status_code == 404
    # General is not managed: alice keeps her defaults there.
    assert desk.client("staff").get(f"/tickets/{desk.ticket}").status_code == 200
    _admin(desk, ac.ChangeGroupMember(group="netops", user="alice"))
    assert desk.client("staff").get(f"/tickets/{secret}").status_code == 200
    assert b"core switch" in desk.client("staff").get("/tickets?q=switch").data
    # ...but only ShowTicket was granted: no comments, no changes.
    response = desk.client("staff").post(f"/tickets/{secret}/comment", data={"body": "x"})
    assert response.status_code == 403
    _admin(desk, ac.GrantRight(scope="Network", principal="group:netops",
                               right="CommentOnTicket"))
    assert desk.client("staff").post(f"/tickets/{secret}/comment",
                                     data={"body": "x"}).status_code == 303


def test_role_grants_replace_role_defaults_and_customers_stay_capped(desk: Desk) -> None:
    _admin(desk, ac.GrantRight(scope="General", principal="role:requestors",
                               right="ShowTicket"))
    _admin(desk, ac.GrantRight(scope="General", principal="role:requestors",
                               right="ShowTicketComments"))
    owner = desk.client("owner")
    assert owner.get(f"/tickets/{desk.ticket}").status_code == 200
    # ReplyToTicket is no longer granted to requestors in General.
    assert b'id="reply-body"' not in owner.get(f"/tickets/{desk.ticket}").data
    # ShowTicketComments is beyond what any customer may hold.
    assert b"secret vendor contract" not in owner.get(f"/tickets/{desk.ticket}").data


def test_only_admins_and_queue_admins_change_rights(desk: Desk) -> None:
    alice = desk.hub.bus
    from hub.accounts.queries import actor_for_name

    with desk.hub.engine.connect() as conn:
        staff = actor_for_name(conn, "alice", "web")
    assert staff is not None
    with pytest.raises(PermissionDeniedError):
        alice.handle(ac.GrantRight(scope="General", principal="user:alice", right="DeleteTicket"),
                     staff)
    with pytest.raises(ValidationError):
        _admin(desk, ac.GrantRight(scope="General", principal="role:boss", right="ShowTicket"))
    with pytest.raises(ValidationError):
        _admin(desk, ac.GrantRight(scope="General", principal="user:alice", right="Fly"))
    response = desk.client("admin").post("/admin/rights", data={
        "scope": "General", "principal": "user:alice", "right": "AdminQueue",
        "action": "grant"})
    assert response.status_code == 303
    assert desk.client("staff").get("/admin/access").status_code == 200
    assert desk.client("staff").post("/admin/rights", data={
        "scope": "*", "principal": "user:alice", "right": "DeleteTicket"}).status_code == 403
    rebuilt = _rebuild_access(desk)
    assert ("general", "user:alice", "AdminQueue") in rebuilt


def _rebuild_access(desk: Desk) -> set[tuple[str, str, str]]:
    import sqlalchemy as sa

    from hub.accounts.tables import acl_grants
    from hub.db import WRITE

    with desk.hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        desk.hub.runner.rebuild(conn, ["access"])
        rows = conn.execute(sa.select(acl_grants)).all()
    return {(r.scope, r.principal, r.right_name) for r in rows}
