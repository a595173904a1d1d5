"""Desk features end to end through the app: lists, search, saved searches, bulk,
"as of" views, sanitised mail HTML, safe attachment downloads, the dashboard."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import Desk, build_desk

from hub.actors import system_actor
from hub.reactors import run_once
from hub.tickets import commands as tc
from hub.web import metrics


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    built = build_desk(Path(tmp_path_factory.mktemp("features")))
    yield built
    built.hub.engine.dispose()


def _ids(body: bytes) -> list[int]:
    return [int(x) for x in re.findall(rb'<td>(\d+)</td>\s*<td><a href="/tickets/', body)]


def test_queue_list_sorts_and_pages(desk: Desk) -> None:
    staff = desk.client("staff")
    for n in range(6):
        desk.hub.bus.handle(tc.CreateTicket(queue="General", subject=f"paging {n}",
                                            priority=n * 10), system_actor("cli"))
    first = staff.get("/queues/General?order=-priority&per_page=3&status=")
    assert first.status_code == 200
    assert b"Page 1 of" in first.data
    second = staff.get("/queues/General?order=-priority&per_page=3&page=2&status=")
    assert set(_ids(first.data)).isdisjoint(_ids(second.data))
    ascending = _ids(staff.get("/queues/General?order=id&status=").data)
    assert ascending == sorted(ascending)
    assert staff.get("/queues/General?order=bogus").status_code == 422
    assert staff.get("/queues/NoSuchQueue").status_code == 404
    assert staff.get("/queues/General?page=x").status_code == 400


def test_search_by_fields_and_saved_searches(desk: Desk) -> None:
    staff = desk.client("staff")
    found = staff.get("/tickets?q=jams&requestor=carol@example.com")
    assert _ids(found.data) == [desk.ticket]
    assert staff.get("/tickets?created_after=notadate").status_code == 422
    saved = staff.post("/tickets/searches", data={"name": "Carol's", "q": "jams",
                                                  "requestor": "carol@example.com"})
    assert saved.status_code == 303
    page = staff.get("/tickets").data.decode()
    assert "Carol&#39;s" in page
    search_id = re.search(r"/tickets/searches/(\d+)/delete", page)
    assert search_id is not None
    # Saved searches are per user: carol neither sees nor deletes alice's.
    assert "Carol&#39;s</a>" not in desk.client("owner").get("/tickets").data.decode()
    assert desk.client("owner").post(
        f"/tickets/searches/{search_id.group(1)}/delete").status_code == 404
    assert staff.post(f"/tickets/searches/{search_id.group(1)}/delete").status_code == 303
    assert "Carol&#39;s</a>" not in staff.get("/tickets").data.decode()


def test_bulk_update_changes_every_selected_ticket(desk: Desk) -> None:
    ids = [desk.hub.bus.handle(tc.CreateTicket(queue="General", subject=f"bulk {n}"),
                               system_actor("cli"))["id"] for n in range(3)]
    response = desk.client("staff").post("/tickets/bulk", data={
        "ids": [str(i) for i in ids], "owner": "alice", "priority": "42",
        "next": "/queues/General"})
    assert response.status_code == 303 and response.headers["Location"] == "/queues/General"
    for ticket_id in ids:
        page = desk.client("staff").get(f"/tickets/{ticket_id}").data.decode()
        assert "<dd>alice</dd>" in page and '<span class="prio prio-medium">42<' in page


def test_as_of_shows_the_ticket_as_it_was(desk: Desk) -> None:
    staff = desk.client("staff")
    created = desk.hub.bus.handle(tc.CreateTicket(queue="General", subject="before"),
                                  system_actor("cli"))["id"]
    staff.post(f"/tickets/{created}/update", data={"subject": "after", "was_subject": "before"})
    now = staff.get(f"/tickets/{created}").data.decode()
    first = re.search(rf"/tickets/{created}\?as_of=(\d+)", now)
    assert first is not None and 'class="subject">after<' in now
    then = staff.get(f"/tickets/{created}?as_of={first.group(1)}").data.decode()
    assert 'class="subject">before<' in then
    assert "Subject changed" not in then
    assert staff.get(f"/tickets/{created}?as_of=yesterday").status_code == 422


def test_mail_html_is_sanitised_and_text_escaped(desk: Desk) -> None:
    ticket = desk.hub.bus.handle(tc.CreateTicket(
        queue="General", subject="<b>bold?</b>", body="<p>Hi <script>alert(1)</script>"
        "<img src=x onerror=alert(2)><a href='javascript:alert(3)'>x</a></p>",
        content_type="text/html", requestors=["carol@example.com"]), system_actor("email"))
    page = desk.client("owner").get(f"/tickets/{ticket['id']}").data.decode()
    assert "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert "<p>Hi " in page  # allowed markup kept
    assert "<script>" not in page and "onerror" not in page and "javascript:" not in page
    # How a change came in is staff's business: the requestor sees the message only.
    assert "via email" not in page
    assert "via email" in desk.client("staff").get(f"/tickets/{ticket['id']}").data.decode()


def test_attachments_download_inert(desk: Desk) -> None:
    staff = desk.client("staff")
    staff.post(f"/tickets/{desk.ticket}/reply", content_type="multipart/form-data", data={
        "body": "html file", "attachments": (io.BytesIO(b"<script>alert(1)</script>"),
                                             "../../evil.html", "text/html")})
    page = staff.get(f"/tickets/{desk.ticket}").data.decode()
    sha = re.findall(r"/attachments/([0-9a-f]{64})\" download>evil.html<", page)
    assert sha, "the uploaded file is listed under a safe name"
    response = desk.client("owner").get(f"/tickets/{desk.ticket}/attachments/{sha[0]}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert staff.get(f"/tickets/{desk.ticket}/attachments/{'0' * 64}").status_code == 404
    assert staff.get(f"/tickets/{desk.ticket}/attachments/nothex").status_code == 404


def test_dashboard_counts_opened_and_resolved_from_the_reactor(desk: Desk) -> None:
    reactor = metrics.TicketRatesReactor()
    run_once(desk.hub, reactor)  # a new reactor starts at the head of the store
    ids = [desk.hub.bus.handle(tc.CreateTicket(queue="General", subject=f"rate {n}"),
                               system_actor("cli"))["id"] for n in range(3)]
    desk.hub.bus.handle(tc.UpdateTicket(ticket_id=ids[0], status="resolved"),
                        system_actor("cli"))
    while run_once(desk.hub, reactor):
        pass
    reactor.tick(desk.hub)  # the worker's tick writes what the events gathered
    # The running minute counts at once, as whole tickets, in every period.
    assert metrics.totals(desk.hub, "General", "hours") == {"opened": 3, "resolved": 1}
    assert metrics.totals(desk.hub, "General", "day") == {"opened": 3, "resolved": 1}
    assert metrics.totals(desk.hub, None, "month")["opened"] >= 3
    assert "opened" in desk.client("staff").get("/dashboard").data.decode()
    for period in ("hours", "day", "week", "month"):
        image = desk.client("staff").get(f"/dashboard/graphs/General/{period}.png")
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert "per minute" in desk.client("staff").get("/dashboard?period=hours").data.decode()
    assert desk.client("staff").get("/dashboard?period=year").status_code == 400
