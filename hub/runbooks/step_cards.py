"""Runbook step cards in wiki pages: the renderers for ``op``, ``op-included`` and ``params``.

Why here and not in the wiki: what an ``op`` block means (its YAML, the actions and
their parameters) is the runbooks feature's knowledge, and runbooks sits above the
wiki. :func:`register` plugs these renderers into the wiki's fenced-block hook
(``hub.wiki.commands.register_fenced_renderer``) from ``hub.runbooks.feature``. The
wiki still passes the HTML through its nh3 allow-list, and everything from the page
is escaped here as well.

A caller that renders a runbook next to a run may pass
``fence_context={"step_state": fn}`` to ``hub.wiki`` rendering, where ``fn`` takes
a :class:`~hub.runbooks.steps.StepSpec` and returns a :class:`StepRunInfo` (or
None) to show the step's state, plan and output on its card.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from hub.runbooks.steps import StepSpec, parse_params, parse_step
from hub.wiki.commands import FencedBlock, register_fenced_renderer


@dataclass(frozen=True)
class StepRunInfo:
    """Run state shown on a step card (from the run read model)."""

    state: str
    approved_by: str | None = None
    plan: str = ""
    output: str = ""


StepDecorator = Callable[[StepSpec], StepRunInfo | None]
_STATE_CLASS = re.compile(r"[a-z]+")


def render_op(block: FencedBlock) -> str:
    """A numbered step: block ``n`` of the page is step ``n``, as in :func:`parse_runbook`.

    The first step opens with the way to the runbook's own page (start a run, its
    runs), so a reader of the wiki page finds the runs of what they read."""
    card = _step(block, block.index, numbered=True)
    return (_runbook_bar(block) + card) if block.index == 1 else card


def _runbook_bar(block: FencedBlock) -> str:
    page = f"/runbooks/{quote(block.web)}/{quote(block.topic)}"
    return (f'<p class="runbook-bar">This topic is a runbook: <a href="{page}">start a '
            f'run</a> · <a href="{page}#h-runs">its runs</a> · '
            '<a href="/runbooks">all runbooks</a></p>')


def render_op_included(block: FencedBlock) -> str:
    """A step shown from an included topic: not numbered, not part of this runbook."""
    return _step(block, 0, numbered=False)


def _decorator(block: FencedBlock) -> StepDecorator | None:
    found = block.context.get("step_state")
    return found if callable(found) else None


def _step(block: FencedBlock, n: int, *, numbered: bool) -> str:
    body = block.body
    spec, errors = parse_step(body, max(n, 1))
    if spec is None:
        block.errors.extend(errors if numbered else [f"included {e}" for e in errors])
        items = "".join(f"<li>{escape(e)}</li>" for e in errors)
        return (f'<div class="runbook-step runbook-step-error"><pre><code>{escape(body)}'
                f'</code></pre><ul class="wiki-notice">{items}</ul></div>')
    decorate = _decorator(block)
    info = decorate(spec) if decorate is not None and numbered else None
    classes = "runbook-step" + ("" if numbered else " runbook-step-included")
    if info is not None and _STATE_CLASS.fullmatch(info.state):
        classes += f" step-state-{info.state}"
    number = f'<span class="step-number">Step {n}</span> ' if numbered else ""
    approval = ('<span class="step-approval approval-required">approval required</span>'
                if spec.approval == "required" else "")
    if spec.when is not None:
        approval += f' <span class="step-when">only when {escape(str(spec.when))}</span>'
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td><code>{escape(str(v))}</code></td></tr>"
                   for k, v in spec.params.items())
    extra = []
    if spec.timeout:
        extra.append(f"<li>timeout: {spec.timeout}s</li>")
    if spec.verify is not None:
        extra.append(f"<li>verify: <code>{escape(str(spec.verify))}</code></li>")
    html = (f'<div class="{classes}" data-step="{n}"><p class="step-head">{number}'
            f'<strong class="step-name">{escape(spec.name)}</strong> '
            f'<code class="step-action">{escape(spec.action)}</code> {approval}</p>'
            f'<table class="step-params"><tbody>{rows}</tbody></table>')
    if extra:
        html += f'<ul class="step-meta">{"".join(extra)}</ul>'
    if info is not None:
        html += _run_info(info)
    return html + "</div>"


def render_params(block: FencedBlock) -> str:
    """The declared run parameters as a table."""
    specs, errors = parse_params(block.body)
    block.errors.extend(errors)
    rows = "".join(
        f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(p.type)}</td>"
        f"<td>{'yes' if p.required else 'no'}</td>"
        f"<td>{escape('' if p.default is None else str(p.default))}</td>"
        f"<td>{escape(', '.join(p.choices) or p.description)}</td></tr>"
        for p in specs
    )
    head = "".join(f"<th>{h}</th>" for h in ("Parameter", "Type", "Required", "Default", ""))
    return (f'<div class="runbook-params"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def _run_info(info: StepRunInfo) -> str:
    by = f" (approved by {escape(info.approved_by)})" if info.approved_by else ""
    html = f'<p class="step-status">State: <strong>{escape(info.state)}</strong>{by}</p>'
    if info.plan:
        html += f'<pre class="step-plan"><code>{escape(info.plan)}</code></pre>'
    if info.output:
        html += f'<pre class="step-output"><code>{escape(info.output)}</code></pre>'
    return html


def register() -> None:
    """Plug the step cards into the wiki (harmless when called again)."""
    register_fenced_renderer("op", render_op)
    register_fenced_renderer("op-included", render_op_included)
    register_fenced_renderer("params", render_params)
