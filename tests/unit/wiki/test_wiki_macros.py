"""TWiki macros: every macro, argument quoting, includes, callbacks."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.wiki import fences
from hub.wiki.macros import MacroContext, expand, extract_section, parse_args
from hub.wiki.render import render

TOPICS = {
    ("Ops", "Shared"): "Top %STARTSECTION{\"steps\"}%Do StepOne%ENDSECTION{\"steps\"}% tail",
    ("Ops", "LoopA"): "A %INCLUDE{\"LoopB\"}%",
    ("Ops", "LoopB"): "B %INCLUDE{\"LoopA\"}%",
    ("Main", "People"): "See UserList and %TOPIC% in %WEB% from %BASETOPIC%",
    ("Ops", "WithStep"): "```op\naction: ticket.comment\nparams: {body: hi}\n```\n",
}


def include(web: str, topic: str) -> str | None:
    return TOPICS.get((web, topic))


def ctx(**kw: Any) -> MacroContext:
    return MacroContext(include=include, now=lambda: datetime(2024, 3, 5, tzinfo=UTC), **kw)


def exp(text: str, **kw: Any) -> str:
    return expand(text, web="Ops", topic="Here", context=ctx(**kw)).text


def test_given_twiki_quoting_when_parsing_args_then_default_named_and_escapes() -> None:
    args = parse_args(r'"Main.Topic" section="a b" warn=off q="say \"hi\"" ' + "s='x y'")
    assert args == {"_DEFAULT": "Main.Topic", "section": "a b", "warn": "off",
                    "q": 'say "hi"', "s": "x y"}


def test_given_simple_macros_when_expanded_then_values() -> None:
    assert exp("%WEB%/%TOPIC% on %DATE%") == "Ops/Here on 05 Mar 2024"


def test_given_unknown_macro_when_expanded_then_visible_but_marked() -> None:
    # Foswiki leaves an unknown macro visible; we also mark it (was: plain verbatim).
    assert exp("%NOPE% %NOPE{\"x\"}% 100% sure") == (
        '<span class="wiki-alert">%NOPE%</span> '
        '<span class="wiki-alert">%NOPE{&quot;x&quot;}%</span> 100% sure')


def test_given_macros_in_code_when_expanded_then_untouched() -> None:
    text = "`%WEB%` and\n```\n%TOPIC% %INCLUDE{\"Shared\"}%\n```\n"
    assert exp(text) == text


def test_given_toc_when_expanded_then_marker_and_flag() -> None:
    result = expand("%TOC%", web="Ops", topic="T")
    assert result.has_toc and "[TOC]" in result.text


def test_given_include_with_section_when_expanded_then_only_section() -> None:
    assert exp('x %INCLUDE{"Shared" section="steps"}% y') == "x Do StepOne y"
    assert exp('%INCLUDE{"Shared"}%') == "Top Do StepOne tail"
    assert extract_section(TOPICS[("Ops", "Shared")], "nope") is None


def test_given_cross_web_include_when_expanded_then_links_qualified_and_topic_is_included(
) -> None:
    result = expand('%INCLUDE{"Main.People"}%', web="Ops", topic="Here", context=ctx())
    assert result.text == "See Main.UserList and People in Main from Here"
    assert result.includes == [("Main", "People")]


def test_given_include_cycle_when_expanded_then_notice_not_recursion() -> None:
    result = expand('%INCLUDE{"LoopA"}%', web="Ops", topic="Here", context=ctx())
    assert "loop" in result.text and any("loop" in e for e in result.errors)


def test_given_depth_limit_when_nested_too_deep_then_notice() -> None:
    chain = {("Ops", f"Level{i}x"): f'%INCLUDE{{"Level{i + 1}x"}}%' for i in range(20)}
    context = MacroContext(include=lambda w, t: chain.get((w, t), "bottom"), max_include_depth=3)
    result = expand('%INCLUDE{"Level0x"}%', web="Ops", topic="Here", context=context)
    assert "nested too deeply" in result.text and "bottom" not in result.text


def test_given_missing_or_denied_include_when_expanded_then_same_notice() -> None:
    out = exp('%INCLUDE{"Secret"}%')
    assert out == ('<span class="wiki-notice">INCLUDE: Ops.Secret does not exist or '
                   "cannot be viewed</span>")
    assert exp('%INCLUDE{"Secret" warn="off"}%') == ""


def test_given_included_op_block_when_rendered_then_not_numbered_as_own_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The include turns ``op`` into ``op-included`` (runbooks renders it unnumbered); with
    # no renderer registered (a hub started by another test registers runbooks') it is code.
    monkeypatch.setattr(fences, "_RENDERERS", {})
    assert exp('%INCLUDE{"WithStep"}%').startswith("```op-included\n")
    out = render('%INCLUDE{"WithStep"}%', web="Ops", topic="Here", exists=lambda w, t: True,
                 macros=ctx())
    assert "language-op-included" in out.html and "Step 1" not in out.html


def test_given_search_when_expanded_then_escaped_hits_with_links() -> None:
    calls: list[tuple[str, str, int]] = []

    def search(q: str, web: str, limit: int) -> Sequence[Mapping[str, Any]]:
        calls.append((q, web, limit))
        return [{"web": "Ops", "topic": "DrainWebNode", "title": "Drain <b>",
                 "snippet": "%INCLUDE{\"Shared\"}% <script>"}]

    out = exp('%SEARCH{"drain node" web="Ops" limit="500"}%', search=search)
    assert calls == [("drain node", "Ops", 100)]
    assert '<a href="/wiki/Ops/DrainWebNode">Drain &lt;b&gt;</a>' in out
    assert "%INCLUDE{&quot;Shared&quot;}% &lt;script&gt;" in out  # data is not re-expanded


def test_given_tickets_when_expanded_then_table_linking_tickets() -> None:
    seen: list[Mapping[str, str]] = []

    def tickets(filters: Mapping[str, str]) -> Sequence[Mapping[str, Any]]:
        seen.append(filters)
        return [{"id": 42, "subject": "web2 <down>", "status": "open", "owner": None,
                 "queue": "Ops"}]

    out = render('%TICKETS{"queue=Ops status=open"}%', web="Ops", topic="Here",
                 exists=lambda w, t: False, macros=ctx(tickets=tickets))
    assert seen == [{"queue": "Ops", "status": "open"}]
    assert '<a href="/tickets/42"' in out.html and "web2 &lt;down&gt;" in out.html
    assert "<table>" in out.html


def test_given_no_callbacks_when_expanded_then_notices() -> None:
    out = expand('%SEARCH{"x"}% %TICKETS{"queue=Ops"}%', web="Ops", topic="T").text
    assert "SEARCH is not available" in out and "TICKETS is not available" in out


def test_given_failing_callback_when_expanded_then_error_reported() -> None:
    def boom(filters: Mapping[str, str]) -> Sequence[Mapping[str, Any]]:
        raise RuntimeError("db down")

    result = expand('%TICKETS{"queue=Ops"}%', web="Ops", topic="T", context=ctx(tickets=boom))
    assert "failed" in result.text and result.errors == ["%TICKETS%: db down"]
