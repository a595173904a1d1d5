"""The alerts page in Debian's chromium (headless) against a real ``hub serve``.

Nagios posts a host down and two service problems to the real endpoint; staff finds
the page from the menu, sees the alerts by host and service with their tickets and
the host-down incident, acknowledges one, and follows a ticket link; on a phone the
page still fits. Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from hub_support import add_user, make_token, shared_dir

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NAGIOS = shared_dir() / "data" / "nagios" / "json"



def captured(prefix: str) -> dict[str, Any]:
    return dict(json.loads(next(NAGIOS.glob(f"{prefix}-*.json")).read_text())["body_json"])




def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_staff_finds_acknowledges_and_follows_an_alert(server: Any, browser: Any) -> None:
    srv, hub = server
    add_user(hub, "alice", "staff")
    token = make_token(hub, "alice")
    tickets = {}
    for prefix in ("01", "09", "13", "21"):
        sent = requests.post(srv.url + "/api/v1/events/nagios", json=captured(prefix),
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert sent.status_code == 202, sent.text
        tickets[prefix] = sent.json()["ticket_id"]

    page = browser.new_page()
    page.goto(f"{srv.url}/login")
    page.fill("#username", "alice")
    page.fill("#password", "password123")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.click("text=Alerts")  # the menu leads there
    page.wait_for_url(f"{srv.url}/alerts")
    captions = page.locator("table.alerts caption .host").all_inner_texts()
    assert captions == ["edge-01", "web-01"]
    web = page.locator("table.alerts", has=page.locator("caption", has_text="web-01"))
    row = web.locator("tr", has_text="App Health")
    assert "CRITICAL" in row.inner_text()
    assert "App health endpoint returned 503" in row.inner_text()
    assert row.locator(f"a[href='/tickets/{tickets['01']}']").count() == 1
    incident = page.locator(f"#incident-{tickets['13']}")
    assert "BGP Session" in incident.inner_text()
    _shot(page, "alerts")

    row.locator("input[name=comment]").fill("looking at the pool")
    with page.expect_navigation():
        row.locator("button", has_text="Acknowledge").click()
    assert "sent to Nagios" in page.inner_text("main")
    row = page.locator("table.alerts tr", has_text="App Health")
    assert "requested by alice" in row.inner_text()
    assert row.locator("button", has_text="Acknowledge").count() == 0

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide on a 390px phone"
    _shot(page, "alerts-phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        page.locator(f"a[href='/tickets/{tickets['09']}']").first.click()
    assert page.url == f"{srv.url}/tickets/{tickets['09']}"
    assert "HTTP Port" in page.inner_text("main")
