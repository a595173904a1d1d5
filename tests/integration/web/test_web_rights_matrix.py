"""Every desk route and the ticket API, for every role: who gets what status.

Roles: admin, staff, the customer who requested the ticket (owner), another
customer (other) and an anonymous visitor. 404 (not 403) hides other people's
tickets so ticket numbers leak nothing; private things (comments, their
attachments) stay invisible to customers on every route.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import ROLES, Desk, api, build_desk

LOGIN = 302


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    built = build_desk(Path(tmp_path_factory.mktemp("matrix")))
    yield built
    built.hub.engine.dispose()


def _expect(table: dict[str, int], role: str) -> int:
    return table[role]


SEE = {"admin": 200, "staff": 200, "owner": 200, "other": 404, "anonymous": LOGIN}
STAFF_ONLY_PRIVATE = {"admin": 200, "staff": 200, "owner": 404, "other": 404,
                      "anonymous": LOGIN}
EVERYONE = {"admin": 200, "staff": 200, "owner": 200, "other": 200, "anonymous": LOGIN}
STAFF_PAGE = {"admin": 200, "staff": 200, "owner": 403, "other": 403, "anonymous": LOGIN}
ADMIN_PAGE = {"admin": 200, "staff": 403, "owner": 403, "other": 403, "anonymous": LOGIN}

PAGES = [
    ("/", EVERYONE),
    ("/tickets", EVERYONE),
    ("/tickets/new", EVERYONE),
    ("/queues/General", EVERYONE),
    ("/account", EVERYONE),
    ("/tickets/{t}", SEE),
    ("/tickets/{t}?as_of={p}", SEE),
    ("/tickets/{t}/attachments/{pub}", SEE),
    ("/tickets/{t}/attachments/{priv}", STAFF_ONLY_PRIVATE),
    ("/dashboard", STAFF_PAGE),
    ("/dashboard/graphs/_all/day.png", STAFF_PAGE),
    ("/dashboard/graphs/General/week.png", STAFF_PAGE),
    ("/admin/access", ADMIN_PAGE),
]


def _path(desk: Desk, template: str) -> str:
    return template.format(t=desk.ticket, p=desk.first_position, pub=desk.public_sha,
                           priv=desk.private_sha)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("template", "table"), PAGES, ids=[p for p, _ in PAGES])
def test_get_pages(desk: Desk, role: str, template: str, table: dict[str, int]) -> None:
    response = desk.client(role).get(_path(desk, template))
    assert response.status_code == _expect(table, role), response.data[:300]
    if response.status_code == LOGIN:
        assert "/login" in response.headers["Location"]
    body = response.data
    assert b"secret vendor contract" not in body or role in ("admin", "staff")
    assert b"private contract" not in body or role in ("admin", "staff")
    if role in ("owner", "other", "anonymous"):
        assert b"Dave's router" not in body or role == "other"


REPLY = {"admin": 303, "staff": 303, "owner": 303, "other": 404, "anonymous": LOGIN}
STAFF_ACTION = {"admin": 303, "staff": 303, "owner": 403, "other": 404, "anonymous": LOGIN}
ACTIONS = [
    ("/tickets/{t}/reply", {"body": "hello"}, REPLY),
    ("/tickets/{t}/comment", {"body": "note"}, STAFF_ACTION),
    ("/tickets/{t}/update", {"priority": "7", "was_priority": "x"}, STAFF_ACTION),
    ("/tickets/{t}/time", {"minutes": "5"}, STAFF_ACTION),
    ("/tickets/{t}/watchers", {"role": "cc", "address": "x@example.com"}, STAFF_ACTION),
    ("/tickets/{t}/links", {"kind": "refers_to", "target": "{o}"},
     {**STAFF_ACTION, "owner": 404}),  # the target is dave's: not found for carol
    ("/tickets/bulk", {"ids": "{t}", "priority": "9"},
     {"admin": 303, "staff": 303, "owner": 403, "other": 403, "anonymous": LOGIN}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("template", "form", "table"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_post_actions(desk: Desk, role: str, template: str, form: dict[str, str],
                      table: dict[str, int]) -> None:
    data = {k: v.format(t=desk.ticket, o=desk.other_ticket) for k, v in form.items()}
    response = desk.client(role).post(_path(desk, template), data=data)
    assert response.status_code == _expect(table, role), response.data[:300]


API_GET = {"admin": 200, "staff": 200, "owner": 200, "other": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_api_ticket_and_history(desk: Desk, role: str) -> None:
    response = api(desk, role, "GET", f"/api/v1/tickets/{desk.ticket}")
    assert response.status_code == API_GET[role]
    history = api(desk, role, "GET", f"/api/v1/tickets/{desk.ticket}/history")
    assert history.status_code == API_GET[role]
    if history.status_code == 200:
        types = {e["type"] for e in history.get_json()}
        assert ("TicketCommented" in types) == (role in ("admin", "staff"))
        assert "TicketCorresponded" in types
    as_of = api(desk, role, "GET", f"/api/v1/tickets/{desk.ticket}?as_of={desk.first_position}")
    assert as_of.status_code == API_GET[role]


@pytest.mark.parametrize("role", ROLES)
def test_api_comment_and_list(desk: Desk, role: str) -> None:
    comment = api(desk, role, "POST", f"/api/v1/tickets/{desk.ticket}/comment", {"body": "x"})
    expected = {"admin": 201, "staff": 201, "owner": 403, "other": 404, "anonymous": 401}
    assert comment.status_code == expected[role]
    listed = api(desk, role, "GET", "/api/v1/tickets?limit=100")
    if role == "anonymous":
        assert listed.status_code == 401
        return
    ids = {t["id"] for t in listed.get_json()["tickets"]}
    assert (desk.ticket in ids) == (role != "other")
    assert (desk.other_ticket in ids) == (role != "owner")


def test_customer_lists_show_only_their_tickets(desk: Desk) -> None:
    for role, mine, theirs in (("owner", b"Carol&#39;s printer", b"Dave&#39;s router"),
                               ("other", b"Dave&#39;s router", b"Carol&#39;s printer")):
        for path in ("/", "/tickets", "/queues/General?status=", "/tickets?q=printer+router"):
            body = desk.client(role).get(path).data
            assert theirs not in body, (role, path)
        assert mine in desk.client(role).get("/").data


def test_customer_cannot_resolve_someone_elses_but_can_resolve_own(desk: Desk) -> None:
    other = desk.client("other").post(f"/tickets/{desk.ticket}/update",
                                      data={"status": "resolved", "was_status": "open"})
    assert other.status_code == 404
    own = desk.client("owner").post(f"/tickets/{desk.ticket}/update",
                                    data={"status": "resolved", "was_status": "open"})
    assert own.status_code == 303
    page = desk.client("owner").get(f"/tickets/{desk.ticket}").data.decode()
    assert '<dd class="status">resolved</dd>' in page
