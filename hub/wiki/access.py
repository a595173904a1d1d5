"""Who may view, change, rename or execute a topic: TWiki's order plus the hub's defaults.

Rules (documented in docs/wiki.md):

* admins (and the system) may do everything;
* otherwise :func:`hub.wiki.acl.decide` runs TWiki's order on the topic's own
  ``Set DENYTOPIC.../ALLOWTOPIC...`` settings and the web's ``WebPreferences``;
* staff are allowed whatever that order allows (so by default staff view, change,
  rename and execute everywhere);
* customers additionally need to be *named* (by user name or a group) in an
  ``ALLOWTOPIC<ACTION>`` or ``ALLOWWEB<ACTION>`` setting: a web that says nothing
  shows them nothing.

Groups are TWiki's: a ``Main.<Name>Group`` topic with ``Set GROUP = a, b``, plus the
implicit ``AdminGroup``, ``StaffGroup`` and ``CustomerGroup`` from the user's role.
A checker caches preferences and groups for one request; build a new one per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from hub.actors import Actor
from hub.wiki import model
from hub.wiki.acl import ADMIN_GROUP, decide, parse_settings, split_names
from hub.wiki.tables import wiki_pages

ACTION_RIGHTS = {"VIEW": model.VIEW, "CHANGE": model.CHANGE, "RENAME": model.RENAME,
                 "EXECUTE": model.EXECUTE}
ROLE_GROUPS = {"admin": (ADMIN_GROUP, "StaffGroup"), "staff": ("StaffGroup",),
               "customer": ("CustomerGroup",)}
PREFS_TOPIC = "WebPreferences"
GROUPS_WEB = "Main"

_ACL_OF = sa.select(wiki_pages.c.acl).where(wiki_pages.c.web == sa.bindparam("w"),
                                            wiki_pages.c.topic == sa.bindparam("t"))
_GROUP_TOPICS = sa.select(wiki_pages.c.topic, wiki_pages.c.text).where(
    wiki_pages.c.web == GROUPS_WEB, wiki_pages.c.topic.like("%Group"))


def bare(name: str) -> str:
    name = name.strip()
    return name.rsplit(".", 1)[-1] if re.fullmatch(r"[A-Z][A-Za-z0-9_]*\.\S+", name) else name


class Access:
    """Per-request access decisions with cached web preferences and group membership."""

    def __init__(self, conn: sa.Connection, actor: Actor) -> None:
        self.conn = conn
        self.actor = actor
        self._web_prefs: dict[str, Mapping[str, Sequence[str]]] = {}
        self._topic_prefs: dict[tuple[str, str], Mapping[str, Sequence[str]] | None] = {}
        self._groups: frozenset[str] | None = None

    @property
    def groups(self) -> frozenset[str]:
        if self._groups is None:
            self._groups = frozenset(self._load_groups())
        return self._groups

    def _load_groups(self) -> set[str]:
        found = set(ROLE_GROUPS.get(self.actor.role, ()))
        members: dict[str, set[str]] = {}
        for row in self.conn.execute(_GROUP_TOPICS):
            value = parse_settings(row.text).get("GROUP", "")
            members[row.topic] = {bare(n) for n in split_names(value)}
        me = {self.actor.name, *found}
        changed = True
        while changed:  # nested groups: a group that names one of mine makes me a member
            changed = False
            for group, names in members.items():
                if group not in me and names & me:
                    me.add(group)
                    changed = True
        found |= me - {self.actor.name}
        return found

    def web_prefs(self, web: str) -> Mapping[str, Sequence[str]]:
        if web not in self._web_prefs:
            acl = self.conn.execute(_ACL_OF, {"w": web, "t": PREFS_TOPIC}).scalar()
            self._web_prefs[web] = acl or {}
        return self._web_prefs[web]

    def topic_prefs(self, web: str, topic: str) -> Mapping[str, Sequence[str]] | None:
        key = (web, topic)
        if key not in self._topic_prefs:
            self._topic_prefs[key] = self.conn.execute(_ACL_OF, {"w": web, "t": topic}).scalar()
        return self._topic_prefs[key]

    def remember(self, web: str, topic: str, acl: Mapping[str, Sequence[str]] | None) -> None:
        """Prime the cache from a row the caller already read (search hits, lists)."""
        self._topic_prefs[(web, topic)] = acl

    def allowed(self, action: str, web: str, topic: str,
                topic_prefs: Mapping[str, Sequence[str]] | None = None) -> bool:
        action = action.upper()
        if self.actor.is_system or self.actor.role == "admin":
            return True
        tprefs = topic_prefs if topic_prefs is not None else (self.topic_prefs(web, topic) or {})
        wprefs = self.web_prefs(web)
        if not decide(self.actor.name, self.groups, action, tprefs, wprefs):
            return False
        if self.actor.is_staff:
            return True
        who = {self.actor.name, *self.groups}
        named = {bare(n) for n in tprefs.get(f"ALLOWTOPIC{action}", [])}
        named |= {bare(n) for n in wprefs.get(f"ALLOWWEB{action}", [])}
        return bool(who & named)

    def rights(self, web: str, topic: str,
               topic_prefs: Mapping[str, Sequence[str]] | None = None) -> frozenset[str]:
        return frozenset(right for action, right in ACTION_RIGHTS.items()
                         if self.allowed(action, web, topic, topic_prefs))

    def acting(self, web: str, topic: str) -> Actor:
        """The actor with its wiki rights on one topic, for the aggregate to check."""
        return self.actor.with_rights(self.actor.rights | self.rights(web, topic))

