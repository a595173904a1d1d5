"""Every macro through real pages, with the reader's rights applied."""

from __future__ import annotations

import pytest
from wiki_support import WikiEnv

from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.search.indexer import catch_up
from hub.tickets import commands as tc


@pytest.fixture
def env(hub: Hub) -> WikiEnv:
    env = WikiEnv(hub)
    actor = system_actor()
    hub.bus.handle(tc.CreateQueue(name="Ops"), actor)
    for subject, who in (("Carl's printer", "carl"), ("Dora's VPN", "dora"),
                         ("Internal DNS", "alice")):
        hub.bus.handle(tc.CreateTicket(queue="Ops", subject=subject, body="b",
                                       requestors=[f"{who}@example.com"]), actor)
    env.create("Desk/WebPreferences", "   * Set ALLOWWEBVIEW = StaffGroup, CustomerGroup\n")
    return env


def test_tickets_macro_uses_the_viewers_rights(env: WikiEnv) -> None:
    env.create("Desk/Queue", '%TICKETS{"queue=Ops status=new limit=10"}%')
    staff = env.get("alice", "Desk/Queue").get_json()["html"]
    customer = env.get("carl", "Desk/Queue").get_json()["html"]
    assert all(s in staff for s in ("Carl&#39;s printer", "Dora&#39;s VPN", "Internal DNS")) or \
        all(s in staff for s in ("Carl's printer", "Dora's VPN", "Internal DNS"))
    assert "printer" in customer and "VPN" not in customer and "DNS" not in customer
    none = env.create("Desk/Empty", '%TICKETS{"queue=Ops status=resolved"}%')["html"]
    assert "No tickets." in none


def test_include_only_shows_viewable_topics(env: WikiEnv) -> None:
    env.create("Desk/Shared", "shared words %STARTSECTION{\"s\"}%only section%ENDSECTION{\"s\"}%")
    env.create("Desk/StaffOnly", "secret words\n   * Set ALLOWTOPICVIEW = StaffGroup\n")
    env.create("Desk/Inc", '%INCLUDE{"Shared"}%\n\n%INCLUDE{"StaffOnly"}%\n\n'
                           '%INCLUDE{"Shared" section="s"}%')
    staff = env.get("alice", "Desk/Inc").get_json()["html"]
    carl = env.get("carl", "Desk/Inc").get_json()["html"]
    assert "shared words" in staff and "secret words" in staff
    assert "shared words" in carl and "secret words" not in carl
    assert "does not exist or cannot be viewed" in carl
    assert "only section" in carl


def test_search_macro_lists_viewable_pages_of_the_web(env: WikiEnv) -> None:
    env.create("Desk/PrinterGuide", "how to fix the zebraprinter")
    env.create("Desk/PrinterSecrets", "zebraprinter passwords\n   * Set ALLOWTOPICVIEW = alice\n")
    env.create("Other/PrinterElsewhere", "zebraprinter in another web")
    env.create("Desk/Finder", '%SEARCH{"zebraprinter" limit="5"}%')
    catch_up(env.hub)
    alice = env.get("alice", "Desk/Finder").get_json()["html"]
    carl = env.get("carl", "Desk/Finder").get_json()["html"]
    assert "/wiki/Desk/PrinterGuide" in alice and "/wiki/Desk/PrinterSecrets" in alice
    assert "/wiki/Other/PrinterElsewhere" not in alice
    assert "/wiki/Desk/PrinterGuide" in carl and "/wiki/Desk/PrinterSecrets" not in carl


def test_simple_macros_and_toc(env: WikiEnv) -> None:
    page = env.create("Desk/Simple",
                      "%TOC%\n\n# Head one\n\n## Head two\n\n%WEB%.%TOPIC% on %DATE%")
    html = page["html"]
    assert "Desk.Simple on" in html
    assert 'class="toc"' in html and 'href="#head-two"' in html
