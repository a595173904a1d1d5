"""A safe evaluator for Foswiki's ``%IF{"condition"}%`` syntax (no ``eval``).

Grammar (Foswiki's precedence, loosest first): ``or``, ``and``, ``not``, the
comparisons ``= != < > <= >= ~ =~``, then the unary tests ``defined NAME``,
``context NAME``, ``istopic Web.Topic``, ``isweb Web``, ``isempty NAME`` and
``$ NAME`` / ``$'NAME'`` (the value of a macro or preference).  Operands are quoted
strings, numbers, or bare words naming a form field of the topic (as Foswiki's
queries do).  Anything the parser does not understand is an :class:`IfError`, shown
as a notice instead of guessing.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<op>=~|!=|<=|>=|=|<|>|~|\(|\)|\$)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.:{}]*))"
)
_UNARY = {"defined", "context", "istopic", "isweb", "isempty", "not", "$"}
_COMPARE = {"=", "!=", "<", ">", "<=", ">=", "~", "=~"}
MAX_LENGTH = 1000


class IfError(ValueError):
    """The condition is not valid Foswiki IF syntax (or not supported here)."""


@dataclass
class Env:
    """What a condition may ask about; each callback answers for the current view."""

    value: Callable[[str], str | None]  # a macro/preference, None when not defined
    field: Callable[[str], str | None]  # a form field of the current topic
    contexts: frozenset[str]
    istopic: Callable[[str], bool]
    isweb: Callable[[str], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise IfError(f"cannot read {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word" and value.lower() in {"and", "or", "not", "defined", "context",
                                                "istopic", "isweb", "isempty"}:
            kind, value = "op", value.lower()
        out.append((kind, value))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], env: Env) -> None:
        self.tokens = tokens
        self.pos = 0
        self.env = env

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise IfError("condition ends too early")
        self.pos += 1
        return tok

    def accept(self, op: str) -> bool:
        if self.peek() == ("op", op):
            self.pos += 1
            return True
        return False

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise IfError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.accept("or"):
            right = self.and_()
            value = _truth(value) or _truth(right)
        return value

    def and_(self) -> Any:
        value = self.not_()
        while self.accept("and"):
            right = self.not_()
            value = _truth(value) and _truth(right)
        return value

    def not_(self) -> Any:
        if self.accept("not"):
            return not _truth(self.not_())
        return self.compare()

    def compare(self) -> Any:
        left = self.unary()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in _COMPARE:
            self.pos += 1
            return _compare(tok[1], left, self.unary())
        return left

    def unary(self) -> Any:
        kind, value = self.take()
        if kind == "op" and value == "(":
            inner = self.or_()
            if not self.accept(")"):
                raise IfError("missing )")
            return inner
        if kind == "op" and value in _UNARY - {"not"}:
            return self.test(value, self.name())
        if kind == "str":
            return value[1:-1]
        if kind == "num":
            return float(value)
        if kind == "word":
            return self.env.field(value) or ""
        raise IfError(f"unexpected {value!r}")

    def name(self) -> str:
        kind, value = self.take()
        if kind in ("word", "num"):
            return value
        if kind == "str":
            return value[1:-1]
        raise IfError(f"a name is needed, not {value!r}")

    def test(self, op: str, name: str) -> Any:
        env = self.env
        if op == "$":
            return env.value(name.strip("%")) or ""
        if op == "defined":
            return env.value(name) is not None
        if op == "isempty":
            return not (env.value(name) or "").strip()
        if op == "context":
            return name in env.contexts
        if op == "istopic":
            return env.istopic(name)
        return env.isweb(name)


def _truth(value: Any) -> bool:
    if isinstance(value, str):
        return value not in ("", "0")
    return bool(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "~":
        return fnmatch.fnmatchcase(str(left), str(right))
    if op == "=~":
        try:
            return re.search(str(right), str(left)) is not None
        except re.error as exc:
            raise IfError(f"bad regular expression: {exc}") from exc
    a, b = _numbers(left, right)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    try:
        return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op])
    except TypeError:
        return False


def _numbers(left: Any, right: Any) -> tuple[Any, Any]:
    """Compare as numbers when both sides look like numbers (Foswiki does the same)."""
    try:
        return float(left), float(right)
    except (TypeError, ValueError):
        return str(left), str(right)


def evaluate(condition: str, env: Env) -> bool:
    if len(condition) > MAX_LENGTH:
        raise IfError("condition too long")
    return _truth(_Parser(_tokens(condition), env).parse())
