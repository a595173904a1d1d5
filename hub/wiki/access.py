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

Why group topics are guarded: membership is power (a topic naming ``OpsGroup`` in
``ALLOWTOPICVIEW`` opens to whoever a group topic lists), so

* the role groups (:data:`ROLE_GROUP_NAMES`) come from the user's role only; a
  ``Main.AdminGroup`` (or ``StaffGroup``/``CustomerGroup``) topic makes nobody a member,
  and wiki admin is the ``admin`` role, never a group;
* group topics (:func:`is_group_topic`) may be created, changed, renamed or renamed
  onto only by admins; every change is a revision (``PageRevised`` with its author),
  so the topic's history shows who changed the membership and how.
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
ROLE_GROUP_NAMES = frozenset(g for names in ROLE_GROUPS.values() for g in names)
PREFS_TOPIC = "WebPreferences"
GROUPS_WEB = "Main"
#: Actions refused on group topics to everyone but admins (and the system).
GUARDED_ACTIONS = frozenset({"CHANGE", "RENAME"})

_ACL_OF = sa.select(wiki_pages.c.acl).where(wiki_pages.c.web == sa.bindparam("w"),
                                            wiki_pages.c.topic == sa.bindparam("t"))
_GROUP_TOPICS = sa.select(wiki_pages.c.topic, wiki_pages.c.text).where(
    wiki_pages.c.web == GROUPS_WEB, wiki_pages.c.topic.like("%Group"))


def is_group_topic(web: str, topic: str) -> bool:
    """Whether ``web.topic`` is (or would be) read as a group topic.

    Case-insensitive, wider than the read below (SQL ``LIKE`` is case-insensitive on
    SQLite), so no spelling of a group topic slips past the guard.
    """
    return web.lower() == GROUPS_WEB.lower() and topic.lower().endswith("group")


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
            if row.topic in ROLE_GROUP_NAMES:
                continue  # role groups come from the role alone, never from a topic
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
        # A nested group naming AdminGroup makes admins its members, not the reverse;
        # whatever the topics say, a role group never comes from them.
        return (found - ROLE_GROUP_NAMES) | set(ROLE_GROUPS.get(self.actor.role, ()))

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
        if action in GUARDED_ACTIONS and is_group_topic(web, topic):
            return False
        tprefs = topic_prefs if topic_prefs is not None else (self.topic_prefs(web, topic) or {})
        wprefs = self.web_prefs(web)
        # Admin is the role (handled above), never a name: admin_group=None.
        if not decide(self.actor.name, self.groups, action, tprefs, wprefs, admin_group=None):
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

