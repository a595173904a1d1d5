"""TML as people write it: blocks, links, anchors, escapes, HTML blocks, TOC, titles."""

import re

from hub.wiki.macros import MacroContext
from hub.wiki.render import Rendered, render
from hub.wiki.titles import plain_title
from hub.wiki.wikiwords import extract_links

EXISTING = {("Ops", "WebHome"), ("Ops", "DrainNode"), ("System", "TextFormattingRules"),
            ("Ops", "SpacedWords"), ("Main", "WebHome")}


def exists(web: str, topic: str) -> bool:
    return (web, topic) in EXISTING


def html(text: str, **kw: object) -> str:
    return rendered(text, **kw).html


def rendered(text: str, **kw: object) -> Rendered:
    ctx = MacroContext(exists=exists, **kw)  # type: ignore[arg-type]
    return render(text, web="Ops", topic="Here", exists=exists, macros=ctx)


# -- structure ------------------------------------------------------------------------

def test_given_tml_headings_when_rendered_then_levels_ids_and_bang_heading_not_in_toc() -> None:
    out = rendered("---+!! Page title\n%TOC%\n---++ First part\ntext\n---+++ Detail\n")
    assert '<h1 id="page-title">Page title</h1>' in out.html
    assert '<h2 id="first-part">First part</h2>' in out.html
    assert '<h3 id="detail">Detail</h3>' in out.html
    assert out.toc == [(2, "first-part", "First part"), (3, "detail", "Detail")]
    toc = out.html.split('<div class="toc">', 1)[1].split("</div>", 1)[0]
    assert "#first-part" in toc and "#detail" in toc and "page-title" not in toc


def test_given_toc_depth_when_rendered_then_deeper_headings_left_out() -> None:
    out = rendered('%TOC{depth="1"}%\n---+ Top\n---++ Below\n')
    assert out.toc == [(1, "top", "Top")]


def test_given_lists_without_blank_lines_when_rendered_then_nested_typed_lists() -> None:
    out = html("Intro line\n   * one\n   * two\n      1. first\n      1. second\n"
               "   a. letter\n   A. Letter\n   i. roman\n   I. Roman\nAfter\n")
    assert "<p>Intro line</p>" in out and "<p>After</p>" in out
    assert re.search(r"<ul>\s*<li>one</li>\s*<li>two<ol>\s*<li>first</li>\s*<li>second</li>",
                     out)
    for kind, text in (("a", "letter"), ("A", "Letter"), ("i", "roman"), ("I", "Roman")):
        assert re.search(rf'<ol type="{kind}">\s*<li>{text}</li>', out)


def test_given_tab_indented_bullets_when_rendered_then_list_not_code() -> None:
    out = html("\t* tabbed\n\t\t* deeper\n")
    assert "<pre>" not in out and re.search(r"<li>tabbed<ul>\s*<li>deeper</li>", out)


def test_given_definition_list_when_rendered_then_dl() -> None:
    out = html("   $ Sushi: Japanese *raw* fish\n   $ Dim Sum: Chinese\n")
    assert re.search(r"<dl>\s*<dt>Sushi</dt>\s*<dd>Japanese <strong>raw</strong> fish</dd>"
                     r"\s*<dt>Dim Sum</dt>\s*<dd>Chinese</dd>\s*</dl>", out)


def test_given_continuation_line_when_rendered_then_part_of_item() -> None:
    out = html("   * first line\n     continues here\n   * second\n")
    assert "<li>first line continues here</li>" in out


def test_given_tml_table_when_rendered_then_header_cells_spans_and_alignment() -> None:
    out = html("| *Host* | *State* |\n| web1 | up |\n|  web2| down |\n| wide ||\n"
               "| web3 | up |\n| ^ | x |\n")
    assert re.search(r"<thead>\s*<tr>\s*<th>Host</th>\s*<th>State</th>", out)
    assert '<td style="text-align:right">web2</td>' in out
    assert '<td colspan="2">wide</td>' in out
    assert out.count("<th>") == 2 and "^" not in out
    assert '<td rowspan="2">web3</td>' in out


def test_given_markdown_pipe_table_when_rendered_then_still_markdown_table() -> None:
    out = html("| a | b |\n|---|--:|\n| 1 | 2 |\n")
    assert "<thead>" in out and 'style="text-align:right"' in out and "---" not in out


def test_given_rule_after_text_when_rendered_then_hr_not_setext_heading() -> None:
    out = html("Some text\n---\nmore\n")
    assert "<hr>" in out and "<h2" not in out


def test_given_tml_in_html_blocks_when_rendered_then_rendered_inside() -> None:
    out = html("<div class=\"x\">\n*bold* WebHome\n</div>\n\n"
               "<table>\n<tr>\n<td>\n_it_ [[DrainNode][drain]]\n</td>\n</tr>\n</table>\n")
    assert re.search(r"<div>\s*<p><strong>bold</strong> <a class=\"wiki-link\"", out)
    assert "<em>it</em>" in out and 'href="/wiki/Ops/DrainNode"' in out
    assert "markdown=" not in out


def test_given_tml_emphasis_when_rendered_then_foswiki_boundaries() -> None:
    out = html("*bold* _it_ __both__ =mono= ==bold mono== 2*3*4 snake_case_name a=b=c\n")
    assert "<strong>bold</strong>" in out and "<em>it</em>" in out
    assert "<strong><em>both</em></strong>" in out and "<code>mono</code>" in out
    assert "<strong><code>bold mono</code></strong>" in out
    assert "2*3*4" in out and "snake_case_name" in out and "a=b=c" in out


# -- links ----------------------------------------------------------------------------

def test_given_every_link_form_when_rendered_then_targets_labels_and_anchors() -> None:
    out = html("[[Ops.WebHome#Notes][home notes]] [[DrainNode#Step2]] [[spaced words]] "
               "[[mailto:ops@example.org][mail us]] [[https://example.org/x][the site]] "
               "[[mailto:a@b.org]] DrainNode#Check Main.WebHome#Top")
    assert '<a class="wiki-link" href="/wiki/Ops/WebHome#Notes"' in out and ">home notes<" in out
    assert 'href="/wiki/Ops/DrainNode#Step2"' in out
    assert 'href="/wiki/Ops/SpacedWords"' in out and ">spaced words</a>" in out
    assert 'href="mailto:ops@example.org"' in out and ">mail us</a>" in out
    assert 'href="https://example.org/x"' in out and ">the site</a>" in out
    assert '>a@b.org</a>' in out
    assert re.search(r'href="/wiki/Ops/DrainNode#Check"[^>]*>DrainNode</a>', out)
    assert re.search(r'href="/wiki/Main/WebHome#Top"[^>]*>Main.WebHome</a>', out)


def test_given_macro_in_link_target_when_rendered_then_expanded_first() -> None:
    out = html("[[%SYSTEMWEB%.TextFormattingRules][rules]] [[%WEB%.DrainNode]]")
    assert 'href="/wiki/System/TextFormattingRules"' in out and ">rules</a>" in out
    assert 'href="/wiki/Ops/DrainNode"' in out


def test_given_anchor_line_when_rendered_then_anchor_not_heading() -> None:
    out = html("#StepTwo\nDo this.\n\n[[#StepTwo][jump]]\n")
    assert re.search(r'<a class="wiki-anchor" id="StepTwo"[^>]*></a>', out)
    assert "<h1" not in out
    assert 'href="#StepTwo"' in out


# -- escapes ----------------------------------------------------------------------------

def test_given_escapes_when_rendered_then_no_link_no_macro() -> None:
    out = html("<nop>DrainNode !DrainNode !%WEB% %WEB% !%TOPIC{x}% !*notbold*\n")
    assert "wiki-link" not in out and "<nop>" not in out and "\ue000" not in out
    assert "DrainNode DrainNode %WEB% Ops %TOPIC{x}%" in out


def test_given_verbatim_when_rendered_then_shown_as_written() -> None:
    out = html("<verbatim>\n*raw* %WEB% DrainNode <b>x</b>\n   * not a list\n</verbatim>\n")
    assert "<pre>*raw* %WEB% DrainNode &lt;b&gt;x&lt;/b&gt;\n   * not a list</pre>" in out


def test_given_literal_and_sticky_when_rendered_then_html_kept_tml_not_applied() -> None:
    out = html("<literal><b>*kept*</b> %WEB%</literal>\n\n<sticky><i>DrainNode</i></sticky>\n")
    assert "<b>*kept*</b> Ops" in out and "<i>DrainNode</i>" in out and "wiki-link" not in out


def test_given_noautolink_when_rendered_then_wikiwords_plain_but_brackets_link() -> None:
    out = html("<noautolink>\nDrainNode and [[WebHome]]\n</noautolink>\nDrainNode\n")
    assert out.count('href="/wiki/Ops/DrainNode"') == 1
    assert 'href="/wiki/Ops/WebHome"' in out


def test_given_nop_when_links_extracted_then_not_a_backlink() -> None:
    assert extract_links("<nop>DrainNode and WebHome", "Ops") == {("Ops", "WebHome")}
    assert extract_links("<verbatim>DrainNode</verbatim>", "Ops") == set()


# -- titles -----------------------------------------------------------------------------

def test_given_headings_with_macros_and_markup_when_titled_then_plain_text() -> None:
    assert plain_title("---+!! %TOPIC%\nbody", "DrainNode", "Ops") == "DrainNode"
    assert plain_title("---+ *Drain* [[WebHome][a node]] &amp; <b>more</b>", "T") == \
        "Drain a node & more"
    assert plain_title("---++ %INCLUDE{\"X\"}%", "Fallback") == "Fallback"
    assert plain_title("---+ %UNKNOWNMACRO% x", "Fallback") == "Fallback"
    assert plain_title("# Markdown <nop>WikiWord", "T") == "Markdown WikiWord"
    assert plain_title("<verbatim>\n---+ Not this\n</verbatim>\nplain", "T") == "T"


def test_given_absurd_macro_nesting_when_rendered_then_fast_and_no_exception() -> None:
    import time

    start = time.perf_counter()
    for text in ("%A{x" * 5000 + "}%" * 5000, '%IF{"' + "(" * 3000 + '" then=x}%',
                 '%INCLUDE{"%INCLUDE{"%WEB%"}%"}%' * 200, "| ^ |\n" * 2000):
        assert isinstance(html(text), str)
    assert time.perf_counter() - start < 10
