"""Every main page in Debian's chromium (headless), at desktop and phone widths.

An admin, a customer and a visitor who is not logged in walk through the pages
they use; each page must answer with its status and show an element that only it
has, and the desk's own pages must fit a phone's width (tables scroll inside
themselves, the ticket's side boxes stack under its history). Screenshots land in
``test-artifacts/screenshots/`` with an ``index.md`` naming each one's page, URL
and status, for review and as CI artefacts. A second walk, with JavaScript off,
creates, answers, takes and resolves a ticket and sorts a list: the desk needs no
script.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hub_support import Server, make_hub, make_token

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.tickets import commands as tc

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
PASSWORD = "password123"
ADMIN_PASSWORD = "admin-password"  # what hub_support.make_hub gives the first admin
TIMEOUT_MS = 60_000


# (name, path, status, selector of an element only that page has, must fit a phone)
ADMIN_PAGES = [
    ("desk", "/", 200, "#h-queues", True),
    ("ticket", "/tickets/{ticket}", 200, "aside.ticket-side #h-people", True),
    ("queue", "/queues/General", 200, "table.tickets th[aria-sort]", True),
    ("wiki", "/wiki/Main/WebHome", 200, "article.wiki-body", False),
    ("search", "/search?q=printer", 200, "main form[role=search] #search-q", False),
    ("runbooks", "/runbooks", 200, "#h-runbooks", False),
    ("alerts", "/alerts", 200, "#h-hosts", False),
    ("admin", "/admin", 200, "#h-users", False),
    ("oncall", "/oncall", 200, "#h-schedules", False),
    ("rules", "/admin/rules", 200, "#h-rules", False),
    ("account", "/account", 200, "#h-tz", True),
    ("404", "/no/such/page", 404, ".error-page", True),
]
CUSTOMER_PAGES = [
    ("desk", "/", 200, "table.tickets", True),
    ("ticket", "/tickets/{ticket}", 200, "#h-history", True),
    ("new-request", "/tickets/new", 200, "#n-subject", True),
    ("search", "/search?q=printer", 200, "main form[role=search] #search-q", False),
    ("403", "/admin", 403, ".error-page", True),
    ("404", "/no/such/page", 404, ".error-page", True),
]
VISITOR_PAGES = [
    ("login", "/login", 200, "#username", True),
    ("404", "/no/such/page", 404, ".error-page", True),
]


def _add_user(hub: Hub, name: str, role: str) -> None:
    hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                 password=PASSWORD), system_actor("cli"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Hub, int]]:
    """A real ``hub serve`` with a desk worth looking at: two queues, colours, history."""
    root = Path(tmp_path_factory.mktemp("screens"))
    hub = make_hub(root)
    _add_user(hub, "alice", "staff")
    _add_user(hub, "carol", "customer")
    cli = system_actor("cli")
    hub.bus.handle(tc.CreateQueue(name="Network", custom_fields=[
        {"name": "Rack", "type": "text"}]), cli)
    ticket = int(hub.bus.handle(tc.CreateTicket(
        queue="General", subject="Printer on floor 3 jams every morning",
        body="The printer jams on the first job of the day.", requestors=["carol@example.com"],
        cc=["office@example.com"], priority=75, due="2030-01-31"), cli)["id"])
    for n, (subject, priority) in enumerate([("VPN drops every hour", 40),
                                             ("New laptop for Dave", 5),
                                             ("Core switch fan failure", 90)]):
        hub.bus.handle(tc.CreateTicket(queue="Network" if n % 2 == 0 else "General",
                                       subject=subject, body=subject, priority=priority,
                                       fields={"Rack": "B2"} if n == 0 else None), cli)
    hub.bus.handle(tc.Correspond(ticket_id=ticket, body="We ordered a new fuser unit."), cli)
    hub.bus.handle(tc.Comment(ticket_id=ticket, body="Vendor says two weeks."), cli)
    hub.bus.handle(tc.UpdateTicket(ticket_id=ticket, owner="alice", owner_set=True), cli)
    hub.bus.handle(tc.RecordTime(ticket_id=ticket, minutes=45, user="alice"), cli)
    env = {**os.environ, "HUB_DATA_DIR": str(root / "var"), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": ""}
    srv = Server(root / "var", env)
    srv.start("--no-scheduler")
    alert = requests.post(srv.url + "/api/v1/events", timeout=30, json={
        "routing_key": "rk", "event_action": "trigger", "dedup_key": "disk-db-01",
        "payload": {"summary": "Disk 97% on db-01", "source": "db-01", "severity": "warning"}},
        headers={"Authorization": f"Bearer {make_token(hub, 'admin')}"})
    assert alert.status_code < 300, alert.text
    _automate(srv.url, make_token(hub, "admin"), ticket)
    yield srv, hub, ticket
    srv.stop()
    hub.engine.dispose()


def _automate(url: str, token: str, ticket: int) -> None:
    """Business hours and an SLA on General, an on-call schedule, a policy, a rule and
    a page on the ticket, so the desk, the ticket, /oncall and /admin/rules show them."""
    calls = [
        ("PUT", "/api/v1/calendars/office", {"timezone": "UTC", "hours": {
            day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}),
        ("PATCH", "/api/v1/queues/General", {"sla": {
            "calendar": "office", "response": "4h", "resolve": "3d", "pause_on": ["stalled"]}}),
        ("PUT", "/api/v1/oncall/schedules/ops", {"timezone": "Europe/Berlin", "rotation": {
            "users": ["alice", "admin"], "shift": "1w", "start": "2026-01-05T09:00"}}),
        ("PUT", "/api/v1/oncall/policies/crit", {"steps": [
            {"notify": "schedule:ops", "via": ["mail"], "wait": "5m"},
            {"notify": "user:admin", "via": ["mail"], "wait": "10m"}], "repeat": 1}),
        ("POST", "/api/v1/rules", {"name": "page-on-breach", "on": "sla.breach",
                                    "if": {"priority_at_least": 50},
                                    "do": [{"action": "notify", "to": "policy:crit"}]}),
        ("POST", "/api/v1/pages", {"ticket_id": ticket, "policy": "crit"}),
    ]
    for method, path, body in calls:
        answer = requests.request(method, url + path, json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code < 300, (path, answer.text)




def _context(browser: Any, **options: Any) -> Any:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def _login(page: Any, url: str, user: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == f"{url}/", page.inner_text("main")


def _fits(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"))


def _tour(page: Any, url: str, who: str, pages: list[tuple[str, str, int, str, bool]],
          ticket: int, index: list[str]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path, status, selector, must_fit in pages:
            target = url + path.format(ticket=ticket)
            response = page.goto(target)
            assert response is not None and response.status == status, (who, name, target)
            element = page.locator(selector).first
            assert element.is_visible(), (who, name, selector)
            assert page.locator("link[rel=stylesheet][href='/desk/static/hub.css']").count()
            if must_fit:
                assert _fits(page), f"{who} {name} is wider than a {width}px screen"
            file = SHOTS / f"{who}-{name}-{width_name}.png"
            page.screenshot(path=str(file), full_page=True)
            assert file.stat().st_size > 2000
            index.append(f"| {file.name} | {who} | {name} | {path} | {status} | "
                         f"{page.title()} |")


def test_screenshots_of_every_main_page_for_each_role(site: Any, chromium: Any) -> None:
    srv, _hub, ticket = site
    index: list[str] = []
    admin = _context(chromium).new_page()
    _login(admin, srv.url, "admin", ADMIN_PASSWORD)
    _tour(admin, srv.url, "admin", ADMIN_PAGES, ticket, index)
    customer = _context(chromium).new_page()
    _login(customer, srv.url, "carol")
    _tour(customer, srv.url, "customer", CUSTOMER_PAGES, ticket, index)
    visitor = _context(chromium).new_page()
    _tour(visitor, srv.url, "visitor", VISITOR_PAGES, ticket, index)
    (SHOTS / "index.md").write_text(
        "| file | who | page | path | status | title |\n| --- | --- | --- | --- | --- | --- |\n"
        + "\n".join(index) + "\n")
    expected = 2 * (len(ADMIN_PAGES) + len(CUSTOMER_PAGES) + len(VISITOR_PAGES))
    assert len(index) == expected


def test_side_boxes_sit_beside_the_history_and_stack_under_it_on_a_phone(
        site: Any, chromium: Any) -> None:
    srv, _hub, ticket = site
    page = _context(chromium).new_page()
    _login(page, srv.url, "alice")
    boxes = {}
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{srv.url}/tickets/{ticket}")
        main = page.locator(".ticket-main").bounding_box()
        side = page.locator("aside.ticket-side").bounding_box()
        assert main is not None and side is not None
        boxes[width_name] = (main, side)
    main, side = boxes["desktop"]
    assert side["x"] >= main["x"] + main["width"] - 1 and abs(side["y"] - main["y"]) < 5
    main, side = boxes["phone"]
    assert side["y"] >= main["y"] + main["height"] - 1 and side["width"] > 300


def test_the_desk_works_without_javascript_on_a_phone(site: Any, chromium: Any) -> None:
    srv, _hub, _ticket = site
    context = _context(chromium, java_script_enabled=False,
                       viewport={"width": 390, "height": 844})
    page = context.new_page()
    _login(page, srv.url, "alice")
    page.select_option("#qc-queue", "Network")
    page.fill("#qc-subject", "Made without a script")
    page.fill("#qc-body", "typed on a phone")
    with page.expect_navigation():
        page.click("#h-quick ~ form button[type=submit]")
    assert re.search(r"/tickets/\d+$", page.url)
    ticket_url = page.url
    page.click("nav.actions a[href='#reply']")
    page.fill("#reply-body", "Looking into it.")
    with page.expect_navigation():
        page.click("#h-reply ~ form button[type=submit]")
    with page.expect_navigation():
        page.click("nav.actions button[value=take]")
    assert page.locator("#h-people ~ dl dd").first.inner_text() == "alice"
    with page.expect_navigation():
        page.click("nav.actions button:text('Resolve')")
    assert page.url == ticket_url
    assert page.locator("dd.status").inner_text() == "resolved"
    history = page.locator("ol.history").inner_text()
    assert "Looking into it." in history and "Owner changed from Nobody to alice" in history
    assert _fits(page)
    page.goto(f"{srv.url}/queues/General?status=")
    with page.expect_navigation():
        page.click("table.tickets th a:text('Subject')")
    assert "sort=subject" in page.url
    subjects = page.locator("table.tickets tbody td:nth-child(3)").all_inner_texts()
    assert subjects == sorted(subjects, key=str.lower) and len(subjects) >= 2
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Subject")
    context.close()

