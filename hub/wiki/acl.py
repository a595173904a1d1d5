"""TWiki access control: topic and web preferences, evaluated in TWiki's order.

Imported TWiki webs keep their ``* Set ALLOWTOPICCHANGE = ...`` lines, so the hub
evaluates them exactly as TWiki documents it (TWikiAccessControl):

1. members of the admin group may do everything;
2. DENYTOPIC<ACTION> set and naming the user (or one of their groups): deny;
   set but *empty*: allow, without looking further ("deny nobody");
3. ALLOWTOPIC<ACTION> set (non-empty): allow if named, otherwise deny;
4. DENYWEB<ACTION> naming the user: deny;
5. ALLOWWEB<ACTION> set (non-empty) and not naming the user: deny;
6. otherwise allow.

A preference is "set" when its key is present; absent and empty are different things.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

ACTIONS = ("VIEW", "CHANGE", "RENAME", "EXECUTE")
ADMIN_GROUP = "AdminGroup"
_SCOPES = ("DENYTOPIC", "ALLOWTOPIC", "DENYWEB", "ALLOWWEB")
ACL_KEYS = frozenset(f"{scope}{action}" for scope in _SCOPES for action in ACTIONS)

Prefs = Mapping[str, Sequence[str] | str]

_SET_RE = re.compile(r"^(?:\t| {3})+\*\s+Set\s+(?P<name>[A-Za-z0-9_]+)\s*=(?P<value>.*)$")
_CONT_RE = re.compile(r"^(?:\t| {3})+(?![*\s]|\d+\.?\s)(?P<value>.*)$")


def decide(
    user: str,
    groups: Iterable[str],
    action: str,
    topic_prefs: Prefs,
    web_prefs: Prefs,
    *,
    admin_group: str | None = ADMIN_GROUP,
) -> bool:
    """May ``user`` (member of ``groups``) do ``action`` on the topic?

    ``admin_group=None`` skips rule 1: the hub decides admin by role before asking
    (:mod:`hub.wiki.access`), so no user or group name can make anyone an admin.
    """
    action = action.upper()
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    who = {_bare(user), *(_bare(g) for g in groups)}
    if admin_group is not None and admin_group in who:
        return True
    deny_topic = _get(topic_prefs, f"DENYTOPIC{action}")
    if deny_topic is not None:
        if not deny_topic:
            return True
        if who & deny_topic:
            return False
    allow_topic = _get(topic_prefs, f"ALLOWTOPIC{action}")
    if allow_topic:
        return bool(who & allow_topic)
    deny_web = _get(web_prefs, f"DENYWEB{action}")
    if deny_web and who & deny_web:
        return False
    allow_web = _get(web_prefs, f"ALLOWWEB{action}")
    return not (allow_web and not who & allow_web)


def _get(prefs: Prefs, key: str) -> set[str] | None:
    if key not in prefs:
        return None
    value = prefs[key]
    items = split_names(value) if isinstance(value, str) else value
    return {_bare(v) for v in items if _bare(v)}


def _bare(name: str) -> str:
    """``Main.AdminGroup`` and ``AdminGroup`` are the same name, as in TWiki."""
    name = name.strip()
    return name.rsplit(".", 1)[-1] if re.fullmatch(r"[A-Z][A-Za-z0-9_]*\.\S+", name) else name


def split_names(value: str) -> list[str]:
    """TWiki lists are separated by commas and/or spaces."""
    return [v for v in re.split(r"[,\s]+", value) if v]


def parse_settings(text: str) -> dict[str, str]:
    """All ``   * Set NAME = value`` settings of a topic text (last one wins).

    Indented lines that follow a setting and are not a new bullet continue its value,
    as in TWiki.
    """
    settings: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _SET_RE.match(line)
        if match:
            current = match.group("name")
            settings[current] = match.group("value").strip()
            continue
        cont = _CONT_RE.match(line) if current else None
        if current and cont:
            settings[current] = f"{settings[current]} {cont.group('value').strip()}".strip()
        else:
            current = None
    return settings


def acl_prefs(settings: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    """Keep the access-control settings, as name lists (empty list = set but empty)."""
    return {
        key: split_names(value) if isinstance(value, str) else [str(v) for v in value]
        for key, value in settings.items()
        if key in ACL_KEYS
    }


def prefs_from_text(text: str) -> dict[str, list[str]]:
    """Access-control preferences declared in a topic (or WebPreferences) text."""
    return acl_prefs(parse_settings(text))
