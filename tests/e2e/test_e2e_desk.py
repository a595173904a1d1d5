"""The desk in Debian's chromium (headless) against a real ``hub serve``.

Staff opens, replies to, comments on and resolves a ticket; a customer sees
only their own tickets, never a comment, and cannot open another customer's
ticket by URL; hostile subjects and bodies render as text and run nothing.
Screenshots of the main pages land in ``test-artifacts/`` for review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.tickets import commands as tc

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOSTILE_SUBJECT = "<script>alert('subject')</script> printer <img src=x onerror=alert(1)>"
HOSTILE_BODY = "<img src=x onerror=alert('body')><script>alert('b')</script> paper jam"



def add_user(hub: Any, name: str, role: str) -> None:
    hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                 password="password123"), system_actor("cli"))




def _page(context: Any, dialogs: list[str]) -> Any:
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page


def _login(page: Any, url: str, user: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", user)
    page.fill("#password", "password123")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == f"{url}/", page.inner_text("main")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_staff_and_customer_journeys_in_a_real_browser(server: Any, browser: Any) -> None:
    srv, hub = server
    add_user(hub, "alice", "staff")
    add_user(hub, "carol", "customer")
    add_user(hub, "dave", "customer")
    other = hub.bus.handle(tc.CreateTicket(queue="General", subject="Dave's private problem",
                                           body="dave only", requestors=["dave@example.com"]),
                           system_actor("cli"))["id"]
    dialogs: list[str] = []
    staff = _page(browser, dialogs)
    _login(staff, srv.url, "alice")
    _shot(staff, "staff-home")

    staff.goto(f"{srv.url}/tickets/new")
    staff.fill("#n-subject", HOSTILE_SUBJECT)
    staff.fill("#n-body", HOSTILE_BODY)
    staff.fill("#n-requestors", "carol@example.com")
    staff.click("form.card button[type=submit]")
    staff.wait_for_url(f"{srv.url}/tickets/*")
    ticket_url = staff.url
    assert staff.locator("h1 .subject").inner_text() == HOSTILE_SUBJECT

    staff.fill("#reply-body", "We are on it <b>now</b>")
    staff.click("#h-reply ~ form button[type=submit]")
    staff.wait_for_load_state()
    staff.fill("#comment-body", "internal: printer vendor is slow")
    staff.click("#h-comment ~ form button[type=submit]")
    staff.wait_for_load_state()
    staff.select_option("#u-status", "resolved")
    staff.click("#h-update ~ form.grid button[type=submit] >> nth=0")
    staff.wait_for_load_state()
    assert staff.locator("dd.status").inner_text() == "resolved"
    history = staff.locator("ol.history").inner_text()
    assert "We are on it <b>now</b>" in history
    assert "internal: printer vendor is slow" in history
    assert "Status changed from open to resolved" in history
    assert "via the web" in history
    _shot(staff, "staff-ticket")
    staff.goto(f"{srv.url}/queues/General?status=")
    assert "Dave's private problem" in staff.inner_text("main")
    _shot(staff, "staff-queue")

    customer = _page(browser, dialogs)
    _login(customer, srv.url, "carol")
    listing = customer.inner_text("main")
    assert HOSTILE_SUBJECT in listing
    assert "Dave's private problem" not in listing
    _shot(customer, "customer-home")
    customer.goto(ticket_url)
    text = customer.inner_text("main")
    assert "We are on it <b>now</b>" in text
    assert "printer vendor" not in text
    assert customer.locator("#comment-body").count() == 0
    _shot(customer, "customer-ticket")
    response = customer.goto(f"{srv.url}/tickets/{other}")
    assert response is not None and response.status == 404
    assert "dave only" not in customer.content()

    # Inert everywhere: nothing the hostile text carried ever ran.
    assert dialogs == []
    assert customer.evaluate("document.querySelectorAll('main script, main img[onerror]')"
                             ".length") == 0
