"""Foswiki preferences: ``   * Set NAME = value`` at site, web and topic level.

Foswiki reads ``System.DefaultPreferences``, then ``Main.SitePreferences``, then the
web's ``WebPreferences``, then the topic itself; a later level overrides an earlier
one unless an earlier level listed the name in ``FINALPREFERENCES``.  ``Local`` sets
apply to the topic that holds them only.  A value continues on following lines that
are indented and not a new bullet, as in Foswiki.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

TextFn = Callable[[str, str], str | None]

#: Site-level topics in the order Foswiki reads them (later wins).
SITE_TOPICS = (("System", "DefaultPreferences"), ("TWiki", "TWikiPreferences"),
               ("Main", "SitePreferences"))
WEB_TOPIC = "WebPreferences"

_SET_RE = re.compile(
    r"^(?:\t| {3})+\*\s+(?P<kind>Set|Local)\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s?(?P<value>.*)$"
)
_CONTINUATION_RE = re.compile(
    r"^(?:\t| {3})[\t ]*(?!\*\s|\d+\.?\s|[aAiI]\.\s|\$\s)(?P<text>\S.*)$")


def parse_settings(text: str) -> list[tuple[str, str, str]]:
    """``(kind, name, value)`` for every ``Set``/``Local`` line, outside verbatim."""
    out: list[tuple[str, str, str]] = []
    current: list[str] | None = None
    verbatim = False
    for line in text.splitlines():
        low = line.lower()
        if "<verbatim" in low:
            verbatim = True
        if verbatim:
            verbatim = "</verbatim>" not in low
            current = None
            continue
        match = _SET_RE.match(line)
        if match:
            current = [match.group("kind"), match.group("name"), match.group("value").rstrip()]
            out.append((current[0], current[1], current[2]))
            continue
        cont = _CONTINUATION_RE.match(line) if current is not None else None
        if cont and current is not None:
            current[2] = f"{current[2]}\n{cont.group('text').rstrip()}"
            out[-1] = (current[0], current[1], current[2])
        else:
            current = None
    return out


class Preferences:
    """The layered preferences for one topic view (looked up by name)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.final: set[str] = set()

    def push(self, settings: Iterable[tuple[str, str, str]], *, own_topic: bool) -> None:
        """Add one level; ``Local`` only counts on the topic being viewed."""
        level: dict[str, str] = {}
        for kind, name, value in settings:
            if kind == "Local" and not own_topic:
                continue
            level[name] = value
        for name, value in level.items():
            if name not in self.final:
                self.values[name] = value
        final = level.get("FINALPREFERENCES")
        if final:
            self.final |= {n for n in re.split(r"[,\s]+", final) if n}

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def load(text_of: TextFn | None, web: str, topic_text: str, cache: dict[str, object],
         ) -> Preferences:
    """Site, web, then topic preferences (site and web levels cached per render)."""
    prefs = Preferences()
    cached = cache.get(f"levels:{web}")
    levels: list[list[tuple[str, str, str]]] = []
    if isinstance(cached, list):
        levels = cached
    else:
        for ref in (*SITE_TOPICS, (web, WEB_TOPIC)):
            raw = text_of(*ref) if text_of else None
            if raw:
                levels.append(parse_settings(raw))
        cache[f"levels:{web}"] = levels
    for settings in levels:
        prefs.push(settings, own_topic=False)
    prefs.push(parse_settings(topic_text), own_topic=True)
    return prefs
