"""Runbook step cards: runbooks renders ``op``/``op-included``/``params`` fences for the wiki."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.runbooks import step_cards
from hub.runbooks.steps import StepSpec
from hub.wiki import fences
from hub.wiki.commands import FencedBlock
from hub.wiki.render import render

STEP = 'name: Drain <web2>\naction: lb.drain\nparams: {pool: web, server: "{{ params.node }}"}\n' \
       "approval: required\n"


@pytest.fixture
def registered() -> Iterator[None]:
    """Register the cards for one test and put the wiki's registry back afterwards."""
    before = dict(fences._RENDERERS)
    step_cards.register()
    yield
    fences._RENDERERS.clear()
    fences._RENDERERS.update(before)


def block(info: str, body: str, index: int = 1, **context: object) -> FencedBlock:
    return FencedBlock(info, body, index, "Runbooks", "DrainWebNode", context)


def test_given_op_block_when_rendered_then_numbered_escaped_card() -> None:
    html = step_cards.render_op(block("op", STEP, 2))
    assert 'data-step="2"' in html and "Step 2" in html
    assert "Drain &lt;web2&gt;" in html and "approval required" in html
    assert "<code>{{ params.node }}</code>" in html


def test_given_included_op_when_rendered_then_not_numbered() -> None:
    html = step_cards.render_op_included(block("op-included", STEP))
    assert "runbook-step-included" in html and "Step " not in html


def test_given_bad_step_when_rendered_then_error_reported_and_shown() -> None:
    b = block("op", "action: no.such\n")
    html = step_cards.render_op(b)
    assert "runbook-step-error" in html and b.errors
    included = block("op-included", "action: no.such\n")
    step_cards.render_op_included(included)
    assert all(e.startswith("included ") for e in included.errors)


def test_given_step_state_in_context_when_rendered_then_run_info_shown() -> None:
    def state(spec: StepSpec) -> step_cards.StepRunInfo:
        return step_cards.StepRunInfo("applied", approved_by="bob <b>", output="ok <script>")

    html = step_cards.render_op(block("op", STEP, step_state=state))
    assert "step-state-applied" in html and "bob &lt;b&gt;" in html
    assert "ok &lt;script&gt;" in html


def test_given_params_block_when_rendered_then_table() -> None:
    html = step_cards.render_params(block("params", "node: {type: choice, choices: [a, b]}\n"))
    assert "runbook-params" in html and "<code>node</code>" in html


def test_given_registered_cards_when_wiki_renders_page_then_cards_in_sanitised_html(
    registered: None,
) -> None:
    out = render(f"Intro\n\n```op\n{STEP}```\n", web="Runbooks", topic="DrainWebNode",
                 exists=lambda w, t: True)
    assert 'class="runbook-step"' in out.html and "Step 1" in out.html
    assert out.errors == []
