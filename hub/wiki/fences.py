"""Renderers for fenced blocks that belong to higher features (e.g. runbook ``op`` steps).

The wiki sits below runbooks, so it cannot know what an ``op`` block means; a higher
feature registers a renderer for an info string from its ``register(hub)`` and the
wiki's Markdown pass hands it every matching fence.  Unregistered fences stay ordinary
code blocks.  Renderer output still passes through the wiki's nh3 allow-list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FencedBlock:
    """One fenced block handed to a registered renderer.

    ``index`` counts the blocks with this info string on the page from 1 (so ``op``
    block 3 is step 3); ``context`` is what the caller of ``render`` passed as
    ``fence_context`` (e.g. run state to decorate step cards); problems the renderer
    appends to ``errors`` are shown under the page like macro errors.
    """

    info: str
    body: str
    index: int
    web: str
    topic: str
    context: Mapping[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


FencedRenderer = Callable[[FencedBlock], str]

_RENDERERS: dict[str, FencedRenderer] = {}


def register(info: str, render: FencedRenderer) -> None:
    """Register (or replace: registering twice is harmless) the renderer for ``info``."""
    if not info or any(c.isspace() for c in info):
        raise ValueError(f"a fence info string is one word, not {info!r}")
    _RENDERERS[info] = render


def renderer(info: str) -> FencedRenderer | None:
    return _RENDERERS.get(info)


def registered() -> frozenset[str]:
    return frozenset(_RENDERERS)
