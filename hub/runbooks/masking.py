"""Keep secrets out of the event store: mask secret-looking parameters and output.

Events are kept forever and shown on tickets, so anything that looks like a
credential is replaced before it is recorded: values of parameters whose name
says "secret", every occurrence of those values inside other text (a rendered
comment body, an rsync log), and ``password=...``-style pairs in output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "********"
SECRET_NAME = re.compile(r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|"
                         r"credential)", re.IGNORECASE)
_PAIR = re.compile(
    r"(?P<key>\b[\w.-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|credential)[\w.-]*"
    r"\s*[:=]\s*)(?P<value>\"[^\"]*\"|'[^']*'|\S+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>\bBearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def secret_values(params: Mapping[str, Any]) -> list[str]:
    """The values to hide everywhere: those of secret-named parameters (longest first)."""
    values = {str(v) for k, v in params.items() if is_secret_name(str(k)) and str(v)}
    return sorted(values, key=len, reverse=True)


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    for value in secrets:
        if len(value) >= 3:
            text = text.replace(value, MASK)
    text = _PAIR.sub(lambda m: m.group("key") + MASK, text)
    return _BEARER.sub(lambda m: m.group("key") + MASK, text)


def mask_params(params: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """Secret-named parameters become the mask; other string leaves lose secret values."""
    known = list(secrets)
    return {str(k): MASK if is_secret_name(str(k)) else mask_value(v, known)
            for k, v in params.items()}


def mask_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    known = list(secrets)
    if isinstance(value, str):
        return mask_text(value, known)
    if isinstance(value, Mapping):
        return mask_params(value, known)
    if isinstance(value, list | tuple):
        return [mask_value(v, known) for v in value]
    return value
