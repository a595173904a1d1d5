"""Python-Markdown's inline pass, skipping patterns that cannot match a text.

The stock pass tries every inline pattern on every text node (a TML topic with
lists and tables has thousands of small ones), through a registry lookup each
time.  Most patterns need a character that most texts lack (a backtick, ``[``,
``<``, ``&``...), so a pattern is tried only when its trigger is present; the
result is identical because a pattern cannot match text without its trigger.
This keeps a first view of a TML topic within a small factor of plain Markdown.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable

from markdown import inlinepatterns, treeprocessors

#: Characters at least one of which each named pattern needs in the text.
TRIGGERS = {
    "backtick": "`", "escape": "\\", "reference": "[", "link": "[", "image_link": "[",
    "image_reference": "[", "short_reference": "[", "short_image_ref": "[",
    "autolink": "<", "automail": "<", "html": "<", "entity": "&", "linebreak": "\n",
    "wiki_bracket": "[", "tml_emphasis": "*_=", "md_strong": "*",
}


def _checker(trigger: str) -> Callable[[str], object] | None:
    return re.compile(f"[{re.escape(trigger)}]").search if trigger else None


class FastInlineProcessor(treeprocessors.InlineProcessor):
    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        # A plain list: the registry's item lookup costs more than most pattern tries.
        registry = self.md.inlinePatterns
        self.inlinePatterns = list(registry)  # type: ignore[assignment]
        names = [item.name for item in vars(registry)["_priority"]]  # sorted by list()
        self._triggers = [_checker(TRIGGERS.get(name, "")) for name in names]
        return super().run(tree, ancestors)

    def _InlineProcessor__applyPattern(
        self, pattern: inlinepatterns.Pattern, data: str, patternIndex: int,
        startIndex: int = 0,
    ) -> tuple[str, bool, int]:
        check = self._triggers[patternIndex]
        if check is not None and check(data) is None:
            return data, False, 0
        apply = treeprocessors.InlineProcessor._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        result: tuple[str, bool, int] = apply(self, pattern, data, patternIndex, startIndex)
        return result


def install(md: object) -> None:
    """Replace the ``inline`` tree processor of ``md`` (same priority, same output)."""
    from markdown import Markdown

    assert isinstance(md, Markdown)
    md.treeprocessors.register(FastInlineProcessor(md), "inline", 20)
