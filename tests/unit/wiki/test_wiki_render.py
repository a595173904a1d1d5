"""Rendering: wiki links, Markdown extensions, fenced-block plug-ins, hostile input."""

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

from hub.wiki import fences
from hub.wiki.commands import FencedBlock, register_fenced_renderer
from hub.wiki.render import Rendered, render

EXISTING = {("Ops", "WebHome"), ("Main", "UserList")}


def exists(web: str, topic: str) -> bool:
    return (web, topic) in EXISTING


def rendered(text: str, **kw: object) -> Rendered:
    return render(text, web="Ops", topic="RunBook", exists=exists, **kw)  # type: ignore[arg-type]


def test_given_existing_wikiword_when_rendered_then_link_to_topic() -> None:
    out = rendered("See WebHome and Main.UserList.")
    assert '<a class="wiki-link" href="/wiki/Ops/WebHome"' in out.html
    assert 'href="/wiki/Main/UserList"' in out.html
    assert out.links == {("Ops", "WebHome"), ("Main", "UserList")}


def test_given_missing_topic_when_rendered_then_create_link() -> None:
    out = rendered("Write NewTopic soon")
    assert re.search(r'<a class="wiki-missing" href="/wiki/Ops/NewTopic\?create=1"[^>]*>'
                     r"NewTopic\?</a>", out.html)


def test_given_bracket_links_when_rendered_then_labels_and_targets() -> None:
    out = rendered("[[WebHome][home page]] [[Main.UserList]] [[https://example.org][ext]]")
    assert ">home page</a>" in out.html and 'href="/wiki/Main/UserList"' in out.html
    assert 'href="https://example.org"' in out.html


def test_given_code_escape_and_urls_when_rendered_then_no_wiki_links() -> None:
    out = rendered("`WebHome` !WebHome http://x.org/WebHome\n\n```\nWebHome\n```\n\n"
                   "[WebHome](https://e.org)")
    assert "wiki-link" not in out.html and out.links == set()
    assert "<code>WebHome</code>" in out.html


def test_given_headings_and_toc_macro_when_rendered_then_ids_and_toc() -> None:
    out = rendered("%TOC%\n\n# Drain a node\n\n## Check the pool\n")
    assert '<h1 id="drain-a-node">' in out.html and '<div class="toc">' in out.html
    assert out.toc == [(1, "drain-a-node", "Drain a node"), (2, "check-the-pool", "Check the pool")]


def test_given_table_and_fenced_code_when_rendered_then_html_table_and_code_class() -> None:
    out = rendered("| a | b |\n|---|--:|\n| 1 | 2 |\n\n```python\nx = 1\n```\n")
    assert "<table>" in out.html and 'style="text-align:right"' in out.html
    assert '<code class="language-python">' in out.html


@pytest.fixture
def fence() -> Iterator[list[FencedBlock]]:
    """Register a renderer for ``demo`` fences (a stand-in for runbooks' ``op``)."""
    seen: list[FencedBlock] = []

    def render_demo(block: FencedBlock) -> str:
        seen.append(block)
        if "bad" in block.body:
            block.errors.append(f"demo {block.index}: bad")
        if "boom" in block.body:
            raise RuntimeError("plug-in bug")
        return (f'<div class="runbook-step evil" data-step="{block.index}" onclick="x()">'
                f'{block.body}<script>alert(1)</script></div>')

    register_fenced_renderer("demo", render_demo)
    yield seen
    fences._RENDERERS.pop("demo", None)


def test_given_registered_fence_when_rendered_then_plugin_html_sanitised(
    fence: list[FencedBlock],
) -> None:
    text = ("```demo\nfirst\n```\n\n```python\nx = 1\n```\n\n```demo\nbad one\n```\n"
            "\n```demo\nboom <b>\n```\n")
    out = rendered(text, fence_context={"run": 7})
    assert [(b.info, b.body, b.index, b.web, b.topic) for b in fence] == [
        ("demo", "first", 1, "Ops", "RunBook"), ("demo", "bad one", 2, "Ops", "RunBook"),
        ("demo", "boom <b>", 3, "Ops", "RunBook")]
    assert all(b.context == {"run": 7} for b in fence)
    assert '<div class="runbook-step" data-step="1">first</div>' in out.html
    assert "<script" not in out.html and "onclick" not in out.html
    assert '<code class="language-python">' in out.html
    assert "<pre><code>boom &lt;b&gt;</code></pre>" in out.html
    assert out.errors == ["demo 2: bad", "demo block 3: rendering failed (RuntimeError)"]


def test_given_unregistered_fence_when_rendered_then_plain_code_block() -> None:
    out = rendered("```op\naction: lb.drain\n```\n")
    assert '<code class="language-op">' in out.html and "runbook-step" not in out.html


def test_given_absurd_nesting_when_rendered_then_no_exception() -> None:
    out = rendered(">" * 5000 + " deep\n" + "[" * 3000 + "*" * 3000)
    assert isinstance(out.html, str)


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnError=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#x0A;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button>',
    "<body onload=alert(1)>",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "[[javascript:alert(1)][click]]",
    "[[data:text/html,hi][click]]",
    "<<script>script>alert(1)<</script>/script>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "```op\nname: <script>alert(1)</script>\naction: ticket.comment\n"
    "params: {body: '<img src=x onerror=alert(1)>'}\n```",
    '<h2 id="x" onmouseover="alert(1)">t</h2>',
    "<details open ontoggle=alert(1)>",
    '<a href="/ok" class="wiki-missing evil" style="position:fixed">x</a>',
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


def _assert_safe(html: str) -> None:
    parser = _Collector()
    parser.feed(html)
    assert not {"script", "svg", "iframe", "object", "style", "form", "math"} & set(parser.tags)
    for name, value in parser.attrs:
        assert not name.startswith("on"), name
        assert name != "style" or value in ("text-align:left", "text-align:right",
                                            "text-align:center")
        compact = re.sub(r"[\x00-\x20]", "", value).lower()
        assert not compact.startswith(("javascript:", "data:", "vbscript:")), (name, value)
    assert not re.search(r"<script", html, re.I)
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.I)


@pytest.mark.parametrize("payload", HOSTILE)
def test_given_hostile_markdown_when_rendered_then_no_script_handler_or_bad_url(
    payload: str,
) -> None:
    for text in (payload, f"para {payload} end", f"* item {payload}", f"| {payload} |\n|---|\n"):
        _assert_safe(rendered(text).html)


def test_given_unknown_classes_when_rendered_then_only_ours_survive() -> None:
    out = rendered('<span class="admin-only wiki-notice">x</span>')
    assert 'class="wiki-notice"' in out.html and "admin-only" not in out.html
