"""hub.sanitize: the shared allow-list and the HTML-to-text conversion."""

from __future__ import annotations

import pytest

from hub.sanitize import clean_html, escape_text, html_to_text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
        ('<img src="https://x.example/a.png" onerror="x()">', '<img src="https://x.example/a.png">'),
        ('<a href="javascript:alert(1)">j</a>', '<a rel="noopener noreferrer nofollow">j</a>'),
        ('<img src="cid:part1@x">', "<img>"),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<p style="position:fixed" class="x" id="y" onclick="z()">t</p>', "<p>t</p>"),
        ("<iframe src='https://e.example'></iframe>after", "after"),
        ("<form><input name=p><button>go</button></form>x", "x"),
        ("<object data='x.swf'></object><embed src='x'>y", "y"),
        ("<style>p{}</style><!-- hidden -->z", "z"),
    ],
)
def test_clean_html_removes_dangerous_content(dirty: str, clean: str) -> None:
    assert clean_html(dirty) == clean


def test_clean_html_keeps_allowed_links() -> None:
    rel = 'rel="noopener noreferrer nofollow"'
    assert clean_html('<a href="https://e.example/x">x</a>') == (
        f'<a href="https://e.example/x" {rel}>x</a>'
    )
    assert clean_html('<a href="mailto:a@b.example">m</a>') == (
        f'<a href="mailto:a@b.example" {rel}>m</a>'
    )
    assert clean_html('<a href="/wiki/Main/WebHome">w</a>') == (
        f'<a href="/wiki/Main/WebHome" {rel}>w</a>'
    )
    assert clean_html('<a href="ftp://e.example/f">f</a>') == f"<a {rel}>f</a>"
    assert clean_html('<a href="https://e.example" rel="opener" target="_blank">t</a>') == (
        f'<a href="https://e.example" {rel}>t</a>'
    )


def test_clean_html_keeps_tables_and_lists() -> None:
    html = (
        '<table><tbody><tr><td colspan="2">a</td></tr></tbody></table>'
        '<ol start="3"><li>b</li></ol>'
    )
    assert clean_html(html) == html


def test_escape_text() -> None:
    assert escape_text('<b>"Tom" & \'Jerry\'</b>') == (
        "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;"
    )


def test_html_to_text_structure() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<h1>Status</h1><p>Hello <b>World</b>,<br>line two</p>"
        '<p>see <a href="https://g.example/a">the graph</a> or '
        '<a href="https://g.example/b">https://g.example/b</a> or '
        '<a href="mailto:noc@e.example">noc@e.example</a></p>'
        "<ul><li>one</li><li>two</li></ul><pre>  keep\n   spacing</pre>"
        "<script>var x = 1;</script>&amp; done</body></html>"
    )
    assert html_to_text(html) == (
        "Status\n\nHello World,\nline two\n\n"
        "see the graph <https://g.example/a> or https://g.example/b or noc@e.example\n\n"
        "- one\n- two\n\n  keep\n   spacing\n\n& done"
    )


def test_html_to_text_never_raises_on_junk() -> None:
    assert "x" in html_to_text("<<<a href=>>x</p></div><")
    assert html_to_text("<a href='https://e.example'>unclosed") == "unclosed"
    assert html_to_text("") == ""
