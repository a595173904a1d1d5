"""The desk at a glance and the ticket page, through the app every role uses.

The menu per role with its current section, per-queue counts that agree with the
lists they link to, sortable lists, quick create, the ticket page's actions and side
boxes, times relative and in the viewer's zone, honest history sentences, what a
customer never sees, styled error pages for everyone (JSON stays JSON), and a wiki
home without a link to a missing topic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from web_support import Desk, build_desk, login

from hub import create_app
from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import bootstrap
from hub.tickets import commands as tc

ISO_IN_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d\.\d{3,}")
TIME_TAG = re.compile(r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" '
                      r'title="(\d{4}-\d\d-\d\d \d\d:\d\d [A-Z+\-0-9]+)">([^<]+)</time>')


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    built = build_desk(Path(tmp_path_factory.mktemp("glance")))
    cli = system_actor("cli")
    built.hub.bus.handle(tc.CreateQueue(name="Network", custom_fields=[
        {"name": "Rack", "type": "text"},
        {"name": "CostCentre", "type": "text", "internal": True}]), cli)
    yield built
    built.hub.engine.dispose()


def _new(desk: Desk, subject: str, **kw: object) -> int:
    kw.setdefault("queue", "Network")
    return int(desk.hub.bus.handle(tc.CreateTicket(subject=subject, body=f"about {subject}",
                                                   **kw), system_actor("cli"))["id"])


def _update(desk: Desk, ticket_id: int, **kw: object) -> None:
    desk.hub.bus.handle(tc.UpdateTicket(ticket_id=ticket_id, **kw), system_actor("cli"))


def _text(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.data[:300])
    return response.data.decode()


def _menu(page: str) -> str:
    found = re.search(r'<nav aria-label="Main" class="menu">(.*?)</nav>', page, re.S)
    return found.group(1) if found else ""


def _ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<td>(\d+)</td>\s*<td><a href="/tickets/', page)]


def test_staff_menu_links_every_feature_and_marks_the_section(desk: Desk) -> None:
    menu = _menu(_text(desk.client("staff"), "/"))
    for href in ('"/"', '"/wiki/"', '"/runbooks"', '"/alerts"', '"/search"', '"/tickets"',
                 '"/dashboard"', '"/account"'):
        assert f"href={href}" in menu, href
    assert 'href="/admin"' not in menu
    assert 'href="/" aria-current="page"' in menu
    on_ticket = _menu(_text(desk.client("staff"), f"/tickets/{desk.ticket}"))
    assert re.findall(r'href="([^"]+)" aria-current="page"', on_ticket) == ["/tickets"]
    assert 'href="/admin"' in _menu(_text(desk.client("admin"), "/"))


def test_customer_menu_shows_only_what_customers_may_use(desk: Desk) -> None:
    menu = _menu(_text(desk.client("owner"), "/"))
    assert re.findall(r'href="([^"]+)"', menu) == ["/", "/tickets/new", "/search", "/account"]
    assert _menu(_text(desk.client("anonymous"), "/login")) == ""


def test_queue_counts_by_status_match_the_lists_they_link_to(desk: Desk) -> None:
    made = {s: [_new(desk, f"count {s} {n}") for n in range(k)]
            for s, k in (("new", 2), ("open", 3), ("stalled", 1), ("resolved", 1))}
    for status in ("open", "stalled", "resolved"):
        for ticket_id in made[status]:
            _update(desk, ticket_id, status=status)
    page = _text(desk.client("staff"), "/")
    row = re.search(r'<a href="/queues/Network">Network</a></th>(.*?)</tr>', page, re.S)
    assert row is not None
    numbers = dict(re.findall(r'status=(new|open|stalled)"[^>]*>(\d+)</a>', row.group(1)))
    assert {k: int(v) for k, v in numbers.items()} == {"new": 2, "open": 3, "stalled": 1}
    assert 'href="/queues/Network?status=active">6</a>' in row.group(1)
    for status, expected in (("new", 2), ("open", 3), ("stalled", 1)):
        listed = _ids(_text(desk.client("staff"), f"/queues/Network?status={status}"))
        assert sorted(listed) == sorted(made[status]) and len(listed) == expected
    # Customers get their own requests, never the queue counts.
    assert "/queues/Network?status=new" not in _text(desk.client("owner"), "/")


def test_counts_follow_the_one_access_rule(desk: Desk) -> None:
    """A managed queue whose rights went to someone else is no staff member's business."""
    cli = system_actor("cli")
    desk.hub.bus.handle(tc.CreateQueue(name="Vault"), cli)
    desk.hub.bus.handle(ac.GrantRight(scope="Vault", principal="user:admin",
                                      right="ShowTicket"), cli)
    _new(desk, "in the vault", queue="Vault")
    assert "/queues/Vault" not in _text(desk.client("staff"), "/")
    admin = _text(desk.client("admin"), "/")
    row = re.search(r'<a href="/queues/Vault">Vault</a></th>(.*?)</tr>', admin, re.S)
    assert row is not None and 'href="/queues/Vault?status=new"' in row.group(1)


def test_lists_sort_by_priority_then_update_and_by_any_header(desk: Desk) -> None:
    queue = "Sorting"
    desk.hub.bus.handle(tc.CreateQueue(name=queue), system_actor("cli"))
    low = _new(desk, "b low", queue=queue, priority=10)
    first_high = _new(desk, "c first high", queue=queue, priority=80)
    mid = _new(desk, "a mid", queue=queue, priority=50)
    second_high = _new(desk, "d second high", queue=queue, priority=80)
    staff = desk.client("staff")
    assert _ids(_text(staff, f"/queues/{queue}")) == [second_high, first_high, mid, low]
    _update(desk, first_high, subject="c first high, touched")  # now the latest update
    page = _text(staff, f"/queues/{queue}")
    assert _ids(page) == [first_high, second_high, mid, low]
    # Headers are links (no script needed); the sorted one says so for screen readers.
    assert re.search(r'<th scope="col" aria-sort="descending"><a href="/queues/Sorting\?'
                     r'[^"]*sort=priority&amp;dir=asc[^"]*">Priority', page)
    assert 'sort=subject&amp;dir=asc' in page
    assert _ids(_text(staff, f"/queues/{queue}?sort=priority&dir=asc"))[:2] == [low, mid]
    assert _ids(_text(staff, f"/queues/{queue}?sort=subject")) == [
        mid, low, first_high, second_high]
    assert _ids(_text(staff, f"/queues/{queue}?sort=id&dir=asc")) == sorted(
        [low, first_high, mid, second_high])
    searched = _text(staff, f"/tickets?queue={queue}&sort=created&dir=desc")
    assert _ids(searched) == [second_high, mid, first_high, low]
    for bad in ("sort=bogus", "sort=id&dir=sideways", "dir=up"):
        assert "error-page" in _text(staff, f"/queues/{queue}?{bad}", 422)


def test_quick_create_from_the_desk(desk: Desk) -> None:
    staff = desk.client("staff")
    home = _text(staff, "/")
    form = re.search(r'<section aria-labelledby="h-quick".*?</section>', home, re.S)
    assert form is not None
    for needle in ('name="csrf_token"', 'id="qc-queue" name="queue"', 'name="subject"',
                   'name="body"', '<option>Network</option>', 'action="/tickets/new"'):
        assert needle in form.group(0), needle
    created = staff.post("/tickets/new", data={"queue": "Network", "subject": "quick one",
                                               "body": "typed on the desk"})
    assert created.status_code == 303
    ticket_page = _text(staff, created.headers["Location"])
    assert 'class="subject">quick one<' in ticket_page and "typed on the desk" in ticket_page
    refused = staff.post("/tickets/new", data={"queue": "Network", "subject": ""})
    assert refused.status_code == 422 and b"error-page" in refused.data


def _box(page: str, heading_id: str) -> str:
    found = re.search(rf'<section class="box[^"]*" aria-labelledby="{heading_id}".*?</section>',
                      page, re.S)
    return found.group(0) if found else ""


def test_ticket_page_has_actions_on_top_and_side_boxes(desk: Desk) -> None:
    other = _new(desk, "the other one")
    ticket_id = _new(desk, "boxed", requestors=["carol@example.com"], cc=["cc@example.com"],
                     admincc=["boss@example.com"], priority=75, due="2030-01-31",
                     fields={"Rack": "B2", "CostCentre": "4711"})
    cli = system_actor("cli")
    desk.hub.bus.handle(tc.LinkTickets(ticket_id=ticket_id, kind="depends_on", target=other),
                        cli)
    desk.hub.bus.handle(tc.RecordTime(ticket_id=ticket_id, minutes=95, user="alice"), cli)
    page = _text(desk.client("staff"), f"/tickets/{ticket_id}")
    actions = re.search(r'<nav class="actions".*?</nav>', page, re.S)
    assert actions is not None
    for label in ("Reply", "Comment", ">Take<", ">Resolve<", ">Open<", ">Edit<"):
        assert label in actions.group(0), label
    assert page.index('class="actions"') < page.index('id="h-history"')
    assert 'value="take"' in actions.group(0)
    people = _box(page, "h-people")
    assert "carol@example.com" in people and "cc@example.com" in people
    assert "boss@example.com" in people and "<dd>Nobody</dd>" in people
    dates = _box(page, "h-dates")
    assert len(TIME_TAG.findall(dates)) == 3 and "2030-01-31 00:00 UTC" in dates
    assert f'href="/tickets/{other}">#{other}</a>' in _box(page, "h-links")
    assert "Depends on" in _box(page, "h-links")
    fields = _box(page, "h-fields")
    assert "<dd>B2</dd>" in fields and "<dd>4711</dd>" in fields
    assert "1 h 35 min" in _box(page, "h-time") and "alice" in _box(page, "h-time")
    assert '<span class="prio prio-high">75<span class="prio-label"> high</span>' in page
    # The customer: no AdminCc, no internal field, no time, no staff actions.
    seen = _text(desk.client("owner"), f"/tickets/{ticket_id}")
    assert "boss@example.com" not in seen and "4711" not in seen and "CostCentre" not in seen
    assert _box(seen, "h-time") == "" and "<dd>B2</dd>" in _box(seen, "h-fields")
    customer_actions = re.search(r'<nav class="actions".*?</nav>', seen, re.S)
    assert customer_actions is not None
    assert "Reply" in customer_actions.group(0) and "Mark as resolved" in customer_actions.group(0)
    for label in ("Comment", ">Take<", ">Edit<", ">Steal<"):
        assert label not in customer_actions.group(0), label
    _update(desk, ticket_id, status="resolved", force=True)  # it depends on an open one
    resolved = _text(desk.client("staff"), f"/tickets/{ticket_id}")
    assert ">Reopen<" in resolved and ">Resolve<" not in resolved
    assert "<dt>Resolved</dt>" in _box(resolved, "h-dates")


def test_runs_box_follows_the_runbooks_partial_and_never_reaches_customers(desk: Desk) -> None:
    has_partial = "runbooks/_ticket_runs.html" in desk.app.jinja_env.list_templates()
    staff_page = _text(desk.client("staff"), f"/tickets/{desk.ticket}")
    assert ('id="h-ticket-runs"' in staff_page) is has_partial
    if has_partial:  # in the side column, after the ticket's own boxes
        assert staff_page.index('id="h-links"') < staff_page.index('id="h-ticket-runs"')
        assert staff_page.index("<aside") < staff_page.index('id="h-ticket-runs"')
    assert "h-ticket-runs" not in _text(desk.client("owner"), f"/tickets/{desk.ticket}")


def test_times_are_relative_with_the_exact_time_on_hover_and_never_raw(desk: Desk) -> None:
    staff = desk.client("staff")
    for path in ("/", f"/tickets/{desk.ticket}", "/queues/General", "/tickets", "/account"):
        page = _text(staff, path)
        tags = TIME_TAG.findall(page)
        assert tags, path
        assert all(title.endswith(" UTC") for _, title, _ in tags)
        assert any(said.endswith("ago") or said == "just now" for _, _, said in tags)
        without_attributes = re.sub(r'datetime="[^"]*"', "", page)
        assert not ISO_IN_TEXT.search(without_attributes), (path, ISO_IN_TEXT.search(
            without_attributes))


def test_each_viewer_chooses_their_time_zone(desk: Desk) -> None:
    viewer = login(desk.app, "alice")
    chosen = viewer.post("/account/timezone", data={"timezone": "Asia/Tokyo"})
    assert chosen.status_code == 303
    assert "hub_tz=Asia/Tokyo" in chosen.headers["Set-Cookie"]
    assert "HttpOnly" in chosen.headers["Set-Cookie"]
    titles = [t for _, t, _ in TIME_TAG.findall(_text(viewer, f"/tickets/{desk.ticket}"))]
    assert titles and all(t.endswith(" JST") for t in titles)
    assert '<strong id="current-tz">Asia/Tokyo</strong>' in _text(viewer, "/account")
    # Others keep the hub's default; nonsense is refused with a clear message.
    assert all(t.endswith(" UTC") for _, t, _ in TIME_TAG.findall(
        _text(desk.client("staff"), f"/tickets/{desk.ticket}")))
    bad = viewer.post("/account/timezone", data={"timezone": "../../etc/passwd"})
    assert bad.status_code == 422 and b"is not a time zone" in bad.data
    reset = viewer.post("/account/timezone", data={"timezone": ""})
    assert reset.status_code == 303 and "hub_tz=;" in reset.headers["Set-Cookie"]
    assert desk.client("anonymous").post("/account/timezone", data={
        "timezone": "Asia/Tokyo"}).status_code == 302
    desk.app.config["WTF_CSRF_ENABLED"] = True
    try:  # a form without its token changes nothing, and says so on the hub's own page
        forged = viewer.post("/account/timezone", data={"timezone": "Asia/Tokyo"})
        assert forged.status_code == 400 and b"error-page" in forged.data
        assert "Set-Cookie" not in forged.headers or "hub_tz" not in forged.headers[
            "Set-Cookie"]
    finally:
        desk.app.config["WTF_CSRF_ENABLED"] = False


def test_the_hub_default_zone_comes_from_hub_timezone(desk: Desk) -> None:
    settings = dataclasses.replace(desk.hub.settings, timezone="Europe/Berlin")
    app = create_app(bootstrap(settings, desk.hub.engine))
    app.config["WTF_CSRF_ENABLED"] = False
    titles = [t for _, t, _ in TIME_TAG.findall(_text(login(app, "alice"),
                                                      f"/tickets/{desk.ticket}"))]
    assert titles and all(t.endswith((" CET", " CEST")) for t in titles)


def test_history_says_what_changed_in_plain_words(desk: Desk) -> None:
    ticket_id = _new(desk, "wording", requestors=["carol@example.com"])
    _update(desk, ticket_id, priority=30)
    _update(desk, ticket_id, owner="alice", owner_set=True)
    _update(desk, ticket_id, queue="General")
    _update(desk, ticket_id, priority=0)
    page = _text(desk.client("staff"), f"/tickets/{ticket_id}")
    for sentence in ("Priority changed from 0 to 30", "Owner changed from Nobody to alice",
                     "Queue changed from Network to General", "Priority changed from 30 to 0"):
        assert sentence in page, sentence
    assert "from nothing" not in page and "to nothing" not in page


def test_customers_never_see_internal_entries(desk: Desk) -> None:
    ticket_id = _new(desk, "internal things", requestors=["carol@example.com"],
                     fields={"CostCentre": "9988"})
    staff = desk.client("staff")
    staff.post(f"/tickets/{ticket_id}/comment", data={"body": "vendor contract is awful"})
    staff.post(f"/tickets/{ticket_id}/reply", data={"body": "we are on it"})
    _update(desk, ticket_id, fields={"CostCentre": "1234"})
    seen = _text(desk.client("owner"), f"/tickets/{ticket_id}")
    assert "we are on it" in seen
    for hidden in ("vendor contract", "Comment (private)", "via ", "as_of=", "as of here",
                   "CostCentre", "9988", "1234", "worked"):
        assert hidden not in seen, hidden
    staff_page = _text(staff, f"/tickets/{ticket_id}")
    for shown in ("vendor contract", "via the command line", "as of here",
                  "CostCentre changed from 9988 to 1234"):
        assert shown in staff_page, shown


@pytest.mark.parametrize("role", ["admin", "staff", "owner", "anonymous"])
def test_styled_404_for_every_role(desk: Desk, role: str) -> None:
    page = _text(desk.client(role), "/no/such/page", 404)
    assert 'class="card error-page"' in page and "Not found" in page
    assert '<link rel="stylesheet" href="/desk/static/hub.css">' in page
    assert "The requested URL was not found" not in page
    if role == "anonymous":
        assert 'href="/login' in page and _menu(page) == ""
    else:
        assert _menu(page) != "" and "Back to" in page


@pytest.mark.parametrize(("role", "path"), [
    ("staff", "/admin"), ("owner", "/admin"), ("owner", "/dashboard"),
])
def test_styled_403_for_staff_and_customers(desk: Desk, role: str, path: str) -> None:
    page = _text(desk.client(role), path, 403)
    assert 'class="card error-page"' in page and "Not allowed" in page
    assert "You don't have the permission" not in page


def test_other_errors_are_styled_and_json_paths_stay_json(desk: Desk) -> None:
    owner = desk.client("owner")
    hidden = _text(owner, f"/tickets/{desk.other_ticket}", 404)
    assert "error-page" in hidden and "dave only" not in hidden
    assert "error-page" in _text(owner, "/wiki/Main/WebHome", 404)
    assert "error-page" in _text(owner, f"/tickets/{desk.ticket}/reply", 405)
    api = desk.app.test_client().get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json
    ticket = desk.app.test_client().get(
        "/api/v1/tickets/999999", headers={"Authorization": f"Bearer {desk.tokens['staff']}"})
    assert ticket.status_code == 404 and ticket.is_json


def test_a_crash_shows_a_styled_500_without_internals(desk: Desk) -> None:
    app = create_app(desk.hub)

    def boom() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/api/v1/boom", view_func=boom, endpoint="api_boom")
    page = app.test_client().get("/boom")
    assert page.status_code == 500 and b"error-page" in page.data
    assert b"secret internals" not in page.data and b"Traceback" not in page.data
    api = app.test_client().get("/api/v1/boom")
    assert api.status_code == 500 and api.is_json and b"secret" not in api.data


def test_wiki_home_links_no_missing_topic(desk: Desk) -> None:
    page = _text(desk.client("staff"), "/wiki/Main/WebHome")
    assert "Welcome to OpsHub" in page
    assert "wiki-missing" not in page and "OpsHub?" not in page
    assert 'href="/wiki/Runbooks/WebHome"' in page
