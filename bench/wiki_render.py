"""Render part of ``python -m bench wiki``: a 50 KB TML topic against plain Markdown.

The topic is TML as imported TWiki webs are written: headings, nested and lettered
lists, definition lists, tables with header cells, bracket links and WikiWords,
preferences, ``%IF%``, colours, icons, ``%INCLUDE%``, ``<verbatim>``.  Measured in
the same run: plain Python-Markdown (``tables`` + ``fenced_code``) on the same text,
the hub's first view (empty render cache: macros, Markdown with the TML extensions,
nh3) and a repeat view (macros run again, Markdown phase from the cache).  Targets:
first view at most 3x plain Markdown, repeat at most 1.5x.
``BENCH_WIKI_RENDER_KB`` (default 50) and ``BENCH_WIKI_RENDER_RUNS`` (default 15).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import table

SIZE_KB = int(os.environ.get("BENCH_WIKI_RENDER_KB", "50"))
RUNS = int(os.environ.get("BENCH_WIKI_RENDER_RUNS", "15"))

SECTION = """---++ Section %N%: %WEB% node drain
#SectionN%N%
The *web pool* on DrainNode%N% uses _weighted_ balancing; see [[WebHome#Notes][the notes]],
[[%SYSTEMWEB%.TextFormattingRules][formatting]], Main.OnCall and [[spaced words here]].
Status: %IF{"$ POOLSTATE = 'up'" then="%GREEN%up%ENDCOLOR%" else="%RED%down%ENDCOLOR%"}% %Y%
   * check =haproxy= state for web%N%
   * drain with __care__
      1. disable the server
      1. wait for sessions
   a. first lettered
   $ Pool: %POOL% (set in WebPreferences)
| *Host* | *Role* | *State* |
| web%N%a | primary | %X% |
|  web%N%b| standby | ok |
<verbatim>
curl -s http://lb/stats | grep web%N%
</verbatim>
%INCLUDE{"Ops.Snippet" NODE="web%N%"}%
Plain paragraph text with some words that wrap around the line and carry no markup at all,
as most of a real topic does, followed by a <nop>NoLink and !EscapedWord.

"""


def topic_text(size_kb: int) -> str:
    parts: list[str] = ["---+!! %TOPIC%\n%TOC%\n\n"]
    n = 0
    while sum(map(len, parts)) < size_kb * 1000:
        n += 1
        parts.append(SECTION.replace("%N%", str(n)))
    return "".join(parts)


def _context() -> Any:
    from hub.wiki.macros import MacroContext

    topics = {("Ops", "WebPreferences"): "   * Set POOL = web\n   * Set POOLSTATE = up\n",
              ("Main", "SitePreferences"): "   * Set WIKITOOLNAME = OpsHub\n",
              ("Ops", "Snippet"): "Snippet for %NODE% in %WEB%: *restart* it.\n"}
    return MacroContext(include=lambda w, t: topics.get((w, t)), exists=lambda w, t: True,
                        user="bench")


def _time(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def render_rows() -> list[tuple[str, str, str, str]]:
    import markdown

    from hub.wiki.render import render

    text = topic_text(SIZE_KB)
    existing = {"WebHome", "TextFormattingRules"}

    def exists(web: str, topic: str) -> bool:
        return topic in existing

    def plain() -> object:
        return markdown.markdown(text, extensions=["tables", "fenced_code"])

    def first() -> object:
        return render(text, web="Ops", topic="BigTopic", exists=exists, macros=_context(),
                      cache={})

    warm: dict[str, Any] = {}
    render(text, web="Ops", topic="BigTopic", exists=exists, macros=_context(), cache=warm)

    def repeat() -> object:
        return render(text, web="Ops", topic="BigTopic", exists=exists, macros=_context(),
                      cache=warm)

    plain(), first(), repeat()  # warm imports and regex caches
    plain_ms, first_ms, repeat_ms = _time(plain, RUNS), _time(first, RUNS), _time(repeat, RUNS)
    kb = len(text) // 1000
    return [
        (f"baseline: plain Python-Markdown, same {kb} KB text", f"{plain_ms:.1f} ms",
         "baseline", ""),
        (f"render {kb} KB TML topic, first view", f"{first_ms:.1f} ms = "
         f"{first_ms / plain_ms:.2f}x", "<= 3x", "ok" if first_ms <= 3 * plain_ms else "MISSED"),
        (f"render {kb} KB TML topic, repeat view", f"{repeat_ms:.1f} ms = "
         f"{repeat_ms / plain_ms:.2f}x", "<= 1.5x",
         "ok" if repeat_ms <= 1.5 * plain_ms else "MISSED"),
    ]


def main() -> None:
    print(table(f"wiki render benchmark (median of {RUNS} runs)", render_rows()))


if __name__ == "__main__":
    main()
