"""Hostile Markdown and HTML through the API's ``html``: nothing active survives."""

from __future__ import annotations

import re

import pytest
from wiki_support import WikiEnv

from hub.bootstrap import Hub

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[[javascript:alert(1)][label]]",
    "<scr<script>ipt>alert(1)</script>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\" onclick=\"x()\">d</div>",
    "<a href=\"&#106;avascript:alert(1)\">enc</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "%INCLUDE{\"<script>alert(1)</script>\"}%",
    "<form action=\"https://evil.example\"><input name=a></form>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "<object data=\"x.swf\"></object><embed src=\"x\">",
    "<a href=\"vbscript:msgbox(1)\">vb</a>",
    "<details open ontoggle=alert(1)>x</details>",
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "conftest.py"
    spec = importlib.util.spec_from_file_location("hub_wiki_hostile_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    hub: Hub = module.make_hub(tmp_path_factory.mktemp("hostile"))
    env = WikiEnv(hub)
    out = []
    for n, text in enumerate(HOSTILE):
        response = env.put("alice", f"Evil/Page{n}X", text, 0)
        assert response.status_code == 201, response.get_json()
        out.append(env.get("alice", f"Evil/Page{n}X").get_json()["html"])
    hub.engine.dispose()
    return out


@pytest.mark.parametrize("n", range(len(HOSTILE)))
def test_nothing_active_survives(pages: list[str], n: int) -> None:
    html = pages[n].lower()
    assert "<script" not in html
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), html
    assert "javascript:" not in html and "vbscript:" not in html
    assert not re.search(r"(href|src)\s*=\s*\"?data:", html), html
    for tag in ("<iframe", "<object", "<embed", "<form", "<input", "<svg", "<math", "<style"):
        assert tag not in html
    assert "style=\"background" not in html
