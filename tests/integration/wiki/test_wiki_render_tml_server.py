"""TML topics through a real ``hub serve``: preferences by level, META, titles, no 500."""

from __future__ import annotations

import re
from html import unescape

import requests
from hub_support import Server, add_user, make_token

from hub.bootstrap import Hub

TOPIC = """---+!! %TOPIC% for <nop>%WEB%
%TOC%
---++ Drain *web2* safely
#CheckFirst
Pool %POOL% on %WIKITOOLNAME%, colour %COLOUR%: %IF{"$ COLOUR = 'green'" then="web level"}%
   * step one with [[%SYSTEMWEB%.TextFormattingRules][rules]] and [[WebHome#Notes][notes]]
   a. lettered
   $ Term: defined
| *Host* | *State* |
| web2 | %RED%down%ENDCOLOR% %X% |
<div>
*bold in div* %FORMFIELD{"Owner" alttext="no form"}% %REVINFO{"r$rev by $username"}%
</div>
%TWISTY{showlink="Details"}%
hidden _text_
%ENDTWISTY%
%META{"parent"}% %NOSUCHMACRO% !%WEB%
<verbatim>%WEB% *raw*</verbatim>
"""


def _put(srv: Server, token: str, path: str, text: str, **extra: object) -> requests.Response:
    return requests.put(f"{srv.url}/api/v1/wiki/{path}", json={"text": text,
                        "base_revision": 0, **extra},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_tml_topic_renders_with_site_web_topic_preferences_and_clean_titles(
        server: tuple[Server, Hub]) -> None:
    srv, hub = server
    add_user(hub, "ops", "admin")
    token = make_token(hub, "ops")
    for path, text in (
        ("Main/SitePreferences", "   * Set POOL = site-pool\n   * Set COLOUR = grey\n"
                                 "   * Set WIKITOOLNAME = Opswiki\n"),
        ("Ops/WebPreferences", "   * Set COLOUR = green\n"),
        ("Ops/WebHome", "---+ %RED%Ops%ENDCOLOR% <b>home</b> [[WebHome][web]]\n"),
        ("Ops/DrainGuide", TOPIC),
    ):
        response = _put(srv, token, path, text, **({"parent": "WebHome"}
                                                   if path == "Ops/DrainGuide" else {}))
        assert response.status_code == 201, response.text
    page = requests.get(f"{srv.url}/api/v1/wiki/Ops/DrainGuide",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert page.status_code == 200
    html = page.json()["html"]
    assert "Pool site-pool on Opswiki, colour green: web level" in html
    assert 'href="/wiki/System/TextFormattingRules?create=1"' in html
    assert 'href="/wiki/Ops/WebHome#Notes"' in html
    assert '<ol type="a">' in html and "<dt>Term</dt>" in html and "<th>Host</th>" in html
    assert '<span class="wiki-color-red">down</span>' in html and "wiki-icon-warning" in html
    assert "<strong>bold in div</strong> no form r1 by ops" in html
    assert "<summary>Details</summary>" in html and "<em>text</em>" in html
    assert 'id="CheckFirst"' in html and "<h1" in html
    assert '<span class="wiki-alert">%NOSUCHMACRO%</span>' in html
    assert "%WEB% *raw*" in html and 'href="/wiki/Ops/WebHome"' in html
    toc = html.split('<div class="toc">', 1)[1].split("</div>", 1)[0]
    assert "drain-web2-safely" in toc and "DrainGuide" not in toc
    assert page.json()["title"] == "DrainGuide for Ops"

    session = requests.Session()
    login = session.get(f"{srv.url}/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf
    session.post(f"{srv.url}/login", data={"username": "ops", "password": "password123",
                                           "csrf_token": csrf.group(1)}, timeout=30)
    view = session.get(f"{srv.url}/wiki/Ops/DrainGuide", timeout=30)
    assert view.status_code == 200
    body = view.text
    head = unescape(body.split("<title>", 1)[1].split("</title>", 1)[0])
    assert "DrainGuide for Ops" in head and "%" not in head and "<" not in head
    crumbs = body.split('class="breadcrumbs"', 1)[1].split("</ol>", 1)[0]
    assert ">Ops home web</a>" in crumbs and "&lt;" not in crumbs and "%RED%" not in crumbs
    for path in ("Ops/WebHome", "Main/SitePreferences", "Ops/WebPreferences"):
        assert session.get(f"{srv.url}/wiki/{path}", timeout=30).status_code == 200
