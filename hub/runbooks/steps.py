"""Parse a runbook topic into steps and declared parameters, and check run parameters.

A runbook is ordinary wiki text; each fenced block with info string ``op`` is one step
in YAML, and an optional ``params`` block declares the run parameters.  Parsing is
strict (unknown keys, actions and parameters are errors) because a typo in a runbook
must stop a run before it touches a load balancer, not halfway through it.  Steps are
numbered from 1 in the order of the ``op`` blocks, also when some of them are invalid,
so error messages and run state refer to the same numbers; a runbook with errors must
not be started.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from hub.wiki.queries import split_code

#: Required parameters of each action, and defaults for optional ones.
ACTIONS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "lb.drain": (("pool", "server"), {}),
    "lb.ready": (("pool", "server"), {}),
    "vip.failover": (("vip", "to"), {}),
    "backup.restore": (("host", "path", "target"), {"snapshot": "latest"}),
    "ticket.comment": (("body",), {}),
    "ticket.status": (("status",), {}),
}
#: Optional parameters without a default (absent unless the runbook sets them).
OPTIONAL: dict[str, tuple[str, ...]] = {"lb.drain": ("wait_timeout",)}
STEP_KEYS = {"name", "action", "params", "approval", "timeout", "verify", "when"}
#: The step states a ``when: step N <state>`` condition may ask for.
WHEN_STATES = ("verified", "failed", "skipped")
_WHEN_RE = re.compile(r"\s*step\s+(\d{1,4})\s+([a-z]+)\s*", re.IGNORECASE)
PARAM_TYPES = {"string", "int", "host", "choice"}
PARAM_KEYS = {"type", "required", "default", "choices", "pattern", "description"}
#: Values longer than this are refused before any user-supplied pattern runs on them.
MAX_VALUE_LEN = 1024

_HOST_RE = re.compile(
    r"(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?"
)


class ParamError(ValueError):
    """A run parameter is missing or not allowed (the API answers 422)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"parameter {param!r}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True)
class StepSpec:
    """One ``op`` block, validated; ``params`` may still hold ``{{ }}`` templates."""

    n: int
    name: str
    action: str
    params: dict[str, Any]
    approval: str = "none"
    timeout: int | None = None
    verify: Any = None
    when: Condition | None = None


@dataclass(frozen=True)
class Condition:
    """``when: step N verified|failed|skipped``: the step runs only if step N ended so."""

    step: int
    state: str

    def __str__(self) -> str:
        return f"step {self.step} {self.state}"


def parse_when(value: Any, n: int) -> tuple[Condition | None, str | None]:
    """Read a ``when:`` value of step ``n``; returns the condition or an error.

    Only an earlier step can be named: the run decides a condition when it reaches
    the step, and by then only earlier steps have ended.
    """
    if value is None:
        return None, None
    found = _WHEN_RE.fullmatch(value) if isinstance(value, str) else None
    wanted = "'step N verified', 'step N failed' or 'step N skipped'"
    if found is None or found.group(2).lower() not in WHEN_STATES:
        return None, f"step {n}: when must be {wanted}, not {value!r}"
    ref = int(found.group(1))
    if n == 1:
        return None, "step 1: when must name an earlier step, and step 1 has none"
    if not 1 <= ref < n:
        earlier = "step 1" if n == 2 else f"steps 1 to {n - 1}"
        return None, f"step {n}: when names step {ref}, not an earlier step ({earlier})"
    return Condition(ref, found.group(2).lower()), None


@dataclass(frozen=True)
class ParamSpec:
    """One declared run parameter."""

    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    description: str = ""


@dataclass
class Runbook:
    steps: list[StepSpec] = field(default_factory=list)
    params: list[ParamSpec] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocks: int = 0  # ``op`` blocks, valid or not (the step numbers go up to this)


def parse_runbook(text: str) -> Runbook:
    """Read every ``op`` and ``params`` block of a topic text."""
    book = Runbook()
    n = 0
    for seg in split_code(text):
        if seg.kind != "fence":
            continue
        lang, body = seg.lang, seg.body
        if lang == "op":
            n += 1
            step, errors = parse_step(body, n)
            book.errors.extend(errors)
            book.blocks = n
            if step is not None:
                book.steps.append(step)
        elif lang == "params":
            specs, errors = parse_params(body)
            book.params.extend(specs)
            book.errors.extend(errors)
    return book


def parse_step(body: str, n: int) -> tuple[StepSpec | None, list[str]]:
    """Parse one step's YAML; returns the step or None and the errors found."""
    where = f"step {n}"
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        return None, [f"{where}: malformed YAML: {_first_line(exc)}"]
    if not isinstance(data, dict):
        return None, [f"{where}: expected a mapping with name, action and params"]
    errors = [f"{where}: unknown key {k!r}" for k in data if k not in STEP_KEYS]
    action = data.get("action")
    if action not in ACTIONS:
        errors.append(f"{where}: unknown action {action!r} (one of {', '.join(ACTIONS)})")
        return None, errors
    params = data.get("params") or {}
    if not isinstance(params, dict):
        return None, [*errors, f"{where}: params must be a mapping"]
    required, defaults = ACTIONS[action]
    params = {**defaults, **{str(k): v for k, v in params.items()}}
    for key in required:
        if params.get(key) in (None, ""):
            errors.append(f"{where}: {action} needs parameter {key!r}")
    for key in params:
        if key not in required and key not in defaults and key not in OPTIONAL.get(action, ()):
            errors.append(f"{where}: {action} has no parameter {key!r}")
    approval = str(data.get("approval", "none")).lower()
    if approval not in ("required", "none"):
        errors.append(f"{where}: approval must be 'required' or 'none', not {approval!r}")
    timeout = data.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int)
                                or timeout <= 0):
        errors.append(f"{where}: timeout must be a positive number of seconds")
    when, problem = parse_when(data.get("when"), n)
    if problem:
        errors.append(problem)
    if errors:
        return None, errors
    name = str(data.get("name") or action)
    return StepSpec(n, name, action, params, approval, timeout, data.get("verify"), when), []


def parse_params(body: str) -> tuple[list[ParamSpec], list[str]]:
    """Parse a ``params`` block: ``name: {type, required, default, choices, pattern}``."""
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        return [], [f"params: malformed YAML: {_first_line(exc)}"]
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], ["params: expected a mapping of parameter names"]
    specs: list[ParamSpec] = []
    errors: list[str] = []
    for name, raw in data.items():
        where = f"params: {name}"
        raw = raw if raw is not None else {}
        if not isinstance(raw, dict):
            errors.append(f"{where}: expected a mapping")
            continue
        errors += [f"{where}: unknown key {k!r}" for k in raw if k not in PARAM_KEYS]
        ptype = str(raw.get("type", "string"))
        choices = tuple(str(c) for c in raw.get("choices") or ())
        pattern = raw.get("pattern")
        if ptype not in PARAM_TYPES:
            errors.append(f"{where}: unknown type {ptype!r}")
        if ptype == "choice" and not choices:
            errors.append(f"{where}: type choice needs choices")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                errors.append(f"{where}: bad pattern: {exc}")
        specs.append(ParamSpec(str(name), ptype, bool(raw.get("required", False)),
                               raw.get("default"), choices,
                               None if pattern is None else str(pattern),
                               str(raw.get("description", ""))))
    return specs, errors


def validate_params(
    spec: Runbook | Sequence[ParamSpec], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Check and coerce run parameters against their declarations.

    Unknown names are refused too: a template can only use declared parameters, and
    silently ignoring a misspelt one would run the runbook with a default instead.
    """
    specs = spec.params if isinstance(spec, Runbook) else list(spec)
    known = {p.name for p in specs}
    for name in given:
        if name not in known:
            raise ParamError(str(name), "is not a parameter of this runbook")
    out: dict[str, Any] = {}
    for p in specs:
        value = given.get(p.name)
        if value is None or value == "":
            if p.default is not None:
                value = p.default
            elif p.required:
                raise ParamError(p.name, "is required")
            else:
                continue
        out[p.name] = _check(p, value)
    return out


def _check(p: ParamSpec, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ParamError(p.name, "must be a string or a number")
    text = str(value).strip()
    if len(text) > MAX_VALUE_LEN:
        raise ParamError(p.name, "is too long")
    result: Any = text
    if p.type == "int":
        if not re.fullmatch(r"[+-]?\d{1,18}", text):
            raise ParamError(p.name, "must be an integer")
        result = int(text)
    elif p.type == "host" and not _is_host(text):
        raise ParamError(p.name, "must be a host name or IP address")
    elif p.type == "choice" and text not in p.choices:
        raise ParamError(p.name, f"must be one of {', '.join(p.choices)}")
    if p.pattern is not None and not re.fullmatch(p.pattern, text):
        raise ParamError(p.name, f"does not match {p.pattern!r}")
    return result


def _is_host(text: str) -> bool:
    """Host names (RFC 1123 labels) or IP literals; never something like ``-oProxy``."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return _HOST_RE.fullmatch(text) is not None


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
