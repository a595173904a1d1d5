"""GET /api/v1/search: every field, phrases, prefixes, snippets and rights filtering."""

from __future__ import annotations

import pytest
from search_support import STAFF, SearchWorld

from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.search.indexer import catch_up, rebuild
from hub.tickets import commands as tc


@pytest.fixture
def world(hub: Hub) -> SearchWorld:
    w = SearchWorld(hub)
    bus = hub.bus
    t1 = w.ticket("Printer jammed on floor three", "paper stuck in tray", "carl",
                  fields={"Rack": "R12", "CostCentre": "CC-7781"})
    bus.handle(tc.Correspond(t1, "we ordered a new fuser unit"), STAFF)
    bus.handle(tc.Comment(t1, "carl broke it with a stapler"), STAFF)
    bus.handle(tc.UpdateTicket(t1, status="open", owner="alice", owner_set=True), STAFF)
    w.ticket("VPN drops every hour", "tunnel flaps since Monday", "dora")
    hub.bus.handle(tc.CreateQueue(name="Billing"), system_actor())
    w.ticket("Invoice question", "about the stapler invoice", "carl", queue="Billing")
    w.page("Docs", "WebPreferences", "   * Set ALLOWWEBVIEW = StaffGroup, carl\n")
    w.page("Docs", "PrinterGuide", "# Printer guide\nHow to clear a paper jam in the fuser.\n")
    w.page("Docs", "StaffOnlyNotes",
           "# Stapler notes\nstapler inventory\n   * Set ALLOWTOPICVIEW = StaffGroup\n")
    w.page("Internal", "VpnRunbook", "# VPN runbook\nrestart the tunnel daemon\n")
    catch_up(hub)
    return w


def test_words_phrases_and_prefixes(world: SearchWorld) -> None:
    assert world.ids("alice", "printer") == {1, "Docs.PrinterGuide"}
    assert world.ids("alice", '"paper stuck"') == {1}
    assert world.ids("alice", '"stuck paper"') == set()
    assert world.ids("alice", "fus*") == {1, "Docs.PrinterGuide"}  # correspondence + page
    assert world.ids("alice", "tunnel") == {2, "Internal.VpnRunbook"}


def test_field_queries(world: SearchWorld) -> None:
    assert world.ids("alice", "queue:billing") == {3}
    assert world.ids("alice", "status:open") == {1}
    assert world.ids("alice", "web:docs") == {"Docs.WebPreferences", "Docs.PrinterGuide",
                                               "Docs.StaffOnlyNotes"}
    assert world.ids("alice", "author:dora@example.com") == {2}
    assert world.ids("alice", "author:alice web:internal") == {"Internal.VpnRunbook"}
    assert world.ids("alice", "owner:alice") == {1}
    assert world.ids("alice", "R12") == {1}  # public custom field
    assert world.ids("alice", "tunnel", kind="page") == {"Internal.VpnRunbook"}


def test_staff_comments_and_internal_fields_are_staff_only(world: SearchWorld) -> None:
    assert 1 in world.ids("alice", "stapler")
    assert 1 in world.ids("alice", "CC-7781")
    assert world.ids("carl", "stapler") == {3}  # his own invoice ticket, never the comment
    assert 1 in world.ids("alice", "private:stapler")
    for query in ("private:stapler", "comments:stapler", "content_staff:stapler", "CC-7781",
                  "ifields:CC-7781", "readers:dora@example.com"):
        assert world.ids("carl", query) == set(), query


def test_customers_only_find_their_tickets_and_viewable_pages(world: SearchWorld) -> None:
    assert world.ids("carl", "printer") == {1, "Docs.PrinterGuide"}
    assert world.ids("carl", "vpn") == set()  # dora's ticket, internal web
    assert world.ids("dora", "vpn") == {2}
    assert world.ids("dora", "printer") == set()  # Docs does not name dora
    assert "Docs.StaffOnlyNotes" not in world.ids("carl", "inventory")
    assert world.ids("alice", "inventory") == {"Docs.StaffOnlyNotes"}


def test_snippets_are_highlighted_and_escaped(world: SearchWorld) -> None:
    world.page("Docs", "Hostile", "quux <script>alert(1)</script> <img src=x onerror=y>\n")
    catch_up(world.hub)
    hit = world.search("alice", "quux")[0]
    assert hit["kind"] == "page" and hit["title"] == "Hostile"
    assert "<mark>quux</mark>" in hit["snippet"]
    assert "<script" not in hit["snippet"] and "<img" not in hit["snippet"]
    assert "&lt;script&gt;" in hit["snippet"]
    ticket = world.search("alice", "fuser", kind="ticket")[0]
    assert ticket == {"kind": "ticket", "id": 1, "title": "Printer jammed on floor three",
                      "snippet": ticket["snippet"], "queue": "Helpdesk", "status": "open"}
    assert "<mark>fuser</mark>" in ticket["snippet"]


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "x", "limit": "0"},
                                    {"q": "x", "limit": "abc"}, {"q": "x", "kind": "user"},
                                    {"q": "x" * 600}])
def test_bad_queries_are_4xx(world: SearchWorld, params: dict[str, str]) -> None:
    response = world.client.get("/api/v1/search", query_string=params,
                                headers={"Authorization": f"Bearer {world.tokens['alice']}"})
    assert response.status_code in (400, 422) and response.get_json()["error"]


def test_odd_syntax_does_not_500(world: SearchWorld) -> None:
    for q in ('"unclosed', "AND OR NOT", "(((", "title:", "*", "queue:", "a:b:c", "\\"):
        world.search("alice", q)


def test_updates_renames_and_rebuild_keep_the_index_right(world: SearchWorld) -> None:
    hub = world.hub
    from hub.wiki import commands as wc

    hub.bus.handle(wc.RenamePage("Internal", "VpnRunbook", "Internal", "TunnelRunbook"), STAFF)
    hub.bus.handle(tc.UpdateTicket(2, status="resolved"), STAFF)
    catch_up(hub)
    assert world.ids("alice", "tunnel") == {2, "Internal.TunnelRunbook"}
    assert world.ids("alice", "status:resolved") == {2}
    before = {q: world.ids(u, q) for u in ("alice", "carl") for q in ("printer", "stapler")}
    assert rebuild(hub) > 0
    after = {q: world.ids(u, q) for u in ("alice", "carl") for q in ("printer", "stapler")}
    assert after == before
    assert catch_up(hub) == 0  # nothing new, nothing written
