"""Rule templates, rendered in Jinja's immutable sandbox with bounded cost.

A rule's author is an admin, but what a template renders goes to customers (an
auto-close notice) and into the ticket, so the template sees only a plain dict of the
ticket's public facts and the triggering event: no settings, no objects with methods
worth calling. The sandbox refuses attribute tricks (``''.__class__.__mro__`` renders
as nothing), ``range`` is short, ``*`` and ``**`` are checked before they build huge
values, loops nest at most two deep, and the output is cut at :data:`MAX_OUTPUT`.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE = 8_000
MAX_OUTPUT = 16_000
MAX_RANGE = 1_000
MAX_LOOP_DEPTH = 2
MAX_PRODUCT = 100_000


class TemplateRejectedError(ValueError):
    """The template is too long, does not parse, or would cost too much to render."""


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponent too large")
            return operator.pow(left, right)
        for value, count in ((left, right), (right, left)):
            if isinstance(value, str | list | tuple) and isinstance(count, int) \
                    and len(value) * count > MAX_PRODUCT:
                raise SecurityError("repetition too large")
        return operator.mul(left, right)


def _short_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise SecurityError(f"range is limited to {MAX_RANGE} items in rule templates")
    return values


_ENV = _Sandbox(autoescape=False, keep_trailing_newline=True)
_ENV.globals = {"range": _short_range}


def _loop_depth(node: nodes.Node, depth: int = 0) -> int:
    here = depth + 1 if isinstance(node, nodes.For) else depth
    return max([here, *(_loop_depth(child, here) for child in node.iter_child_nodes())])


def check_template(text: object) -> str:
    """The template text if it is one a rule may keep, else TemplateRejectedError."""
    if not isinstance(text, str):
        raise TemplateRejectedError("a template is text")
    if len(text) > MAX_TEMPLATE:
        raise TemplateRejectedError(f"a template is at most {MAX_TEMPLATE} characters")
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateRejectedError(f"line {exc.lineno}: {exc.message}") from exc
    if _loop_depth(tree) > MAX_LOOP_DEPTH:
        raise TemplateRejectedError(f"loops nest at most {MAX_LOOP_DEPTH} deep in a template")
    return text


def render(text: str, context: Mapping[str, Any]) -> str:
    """Render ``text`` with ``context`` (plain data only); TemplateRejectedError when the
    sandbox refuses it at run time. Output beyond :data:`MAX_OUTPUT` is cut off."""
    check_template(text)
    out: list[str] = []
    size = 0
    try:
        for chunk in _ENV.from_string(text).generate(dict(context)):
            out.append(chunk)
            size += len(chunk)
            if size > MAX_OUTPUT:
                break
    except (SecurityError, TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        raise TemplateRejectedError(f"the template could not be rendered: {exc}") from exc
    return "".join(out)[:MAX_OUTPUT]
