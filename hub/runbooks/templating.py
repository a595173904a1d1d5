"""Substitute ``{{ params.X }}`` and ``{{ ticket.X }}`` into a step's parameters.

Runbook text is written by wiki users and ticket fields by anyone who can send mail,
so substitution runs in Jinja2's immutable sandbox with ``StrictUndefined``: a missing
variable is a :class:`ParamError` instead of an empty string (an empty ``server`` could
mean "all servers" to a driver).  Only expressions are available (no ``{% %}``
statements, no globals, a handful of filters, no arithmetic) and only string leaves
are rendered; the result is a plain string that is never rendered again, so a ticket
subject containing ``{{ ... }}`` stays literal text.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, NoReturn

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from hub.runbooks.masking import is_secret_name
from hub.runbooks.steps import ParamError

MAX_TEMPLATE_LEN = 4096
MAX_RESULT_LEN = 65536
_FILTERS = ("default", "lower", "upper", "trim", "replace", "string", "int", "first", "last")


class _Missing(StrictUndefined):
    """Report the missing variable by name, as a ParamError the API maps to 422."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ParamError(str(self._undefined_name), "is not defined")


# Jinja binds ``__str__``, ``__iter__``, ... to the base class's failure function when
# the class is created, so an override alone would not be seen; rebind them here.
for _name, _value in [*vars(Undefined).items(), *vars(StrictUndefined).items()]:
    if _value is Undefined._fail_with_undefined_error:
        setattr(_Missing, _name, _Missing._fail_with_undefined_error)


class _Env(ImmutableSandboxedEnvironment):
    """Sandbox where ``a.b`` on a mapping means the key only, never a dict method."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"-", "+"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError(f"operator {operator!r} is not allowed in runbook templates")

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        raise SecurityError(f"operator {operator!r} is not allowed in runbook templates")


def _make_env() -> _Env:
    env = _Env(
        undefined=_Missing,
        autoescape=False,
        # Statements and comments are switched off by delimiters nobody types.
        block_start_string="\x00{%",
        block_end_string="%}\x00",
        comment_start_string="\x00{#",
        comment_end_string="#}\x00",
        line_statement_prefix=None,
        line_comment_prefix=None,
    )
    env.filters = {name: env.filters[name] for name in _FILTERS}
    env.globals = {}
    return env


_ENV = _make_env()


def render_params(
    params: Mapping[str, Any],
    *,
    run_params: Mapping[str, Any],
    ticket: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Render every string leaf of ``params``; other values are copied unchanged."""
    context = {"params": copy.deepcopy(dict(run_params)),
               "ticket": copy.deepcopy(dict(ticket or {}))}
    return {str(k): _render_value(v, context, str(k)) for k, v in params.items()}


def _render_value(value: Any, context: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        return render_string(value, context, where)
    if isinstance(value, Mapping):
        return {str(k): _render_value(v, context, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_render_value(v, context, f"{where}[{i}]") for i, v in enumerate(value)]
    return copy.deepcopy(value)


def render_string(template: str, context: Mapping[str, Any], where: str = "value") -> str:
    """Render one string; errors become ParamError naming the variable or the field."""
    if "{{" not in template:
        return template
    if len(template) > MAX_TEMPLATE_LEN:
        raise ParamError(where, "template is too long")
    try:
        check_secret_use(template)
        result = _ENV.from_string(template).render(context)
    except ParamError:
        raise
    except TemplateSyntaxError as exc:
        raise ParamError(where, f"bad template: {exc.message}") from exc
    except Exception as exc:  # sandbox violations, filters given wrong types, ...
        raise ParamError(where, f"template failed: {exc}") from exc
    if len(result) > MAX_RESULT_LEN:
        raise ParamError(where, "result is too long")
    return result


def _secret_key(node: nodes.Node) -> str | None:
    """``params.X`` / ``params["X"]`` with a secret-looking X: its name, else None."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        base, key = node.node.name, node.attr
    elif (isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name)
          and isinstance(node.arg, nodes.Const)):
        base, key = node.node.name, str(node.arg.value)
    else:
        return None
    return key if base == "params" and is_secret_name(key) else None


def check_secret_use(template: str) -> None:
    """Secret parameters may appear only as a bare ``{{ params.X }}``.

    Masking finds a secret by its value; ``{{ params.db_password|upper }}`` (or any
    filter, test, slice, concatenation or condition on it) would store a changed
    value nobody recognises, so such templates are refused (422 naming the
    parameter) before anything is rendered. ``params`` itself may be used only to
    read one parameter by a literal name: ``{{ params }}`` or ``params[x]`` could
    reach a secret without naming it.
    """
    tree = _ENV.parse(template)
    bare: set[int] = set()
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if _secret_key(child) is not None:
                bare.add(id(child))
    reads: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        base = node.node
        if not (isinstance(base, nodes.Name) and base.name == "params"):
            continue
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            raise ParamError("params", "a parameter must be named literally "
                             "(params.X), not computed")
        reads.add(id(base))
        name = _secret_key(node)
        if name is not None and id(node) not in bare:
            bare_use = "{{ params." + name + " }}"
            raise ParamError(name, f"is secret: use it only as a bare {bare_use}, "
                             "without filters or expressions")
    for name_node in tree.find_all(nodes.Name):
        if name_node.name == "params" and id(name_node) not in reads:
            raise ParamError("params", "use one parameter at a time (params.X)")
