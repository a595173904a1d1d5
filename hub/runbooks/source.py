"""Where runbook text and the right to execute it come from: the wiki, behind a seam.

A runbook is a wiki topic; the run pins the revision it started from. The wiki
feature provides ``hub.wiki.queries.get_page`` and ``can_execute``; this module
only adapts them, so the run model never depends on how pages are stored. A
hub may install another source in ``hub.services["runbook_source"]`` (e.g. a
directory of runbooks on a host without the wiki).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import ValidationError

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


@dataclass(frozen=True)
class RunbookText:
    web: str
    topic: str
    revision: int
    text: str


class RunbookSource(Protocol):
    def get(self, conn: sa.Connection, web: str, topic: str) -> RunbookText | None: ...

    def can_execute(self, conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool: ...


def split_name(runbook: str) -> tuple[str, str]:
    """``"Runbooks.DrainWebNode"`` -> ``("Runbooks", "DrainWebNode")``, or a 422."""
    web, dot, topic = str(runbook).partition(".")
    if not dot or not _NAME.fullmatch(web) or not _NAME.fullmatch(topic):
        raise ValidationError(f"runbook {runbook!r} is not a Web.Topic name", param="runbook")
    return web, topic


class WikiRunbookSource:
    """The wiki's read model; without the wiki feature there are no runbooks."""

    def _queries(self) -> Any | None:
        try:
            return importlib.import_module("hub.wiki.queries")
        except ImportError:
            return None

    def get(self, conn: sa.Connection, web: str, topic: str) -> RunbookText | None:
        queries = self._queries()
        if queries is None or not hasattr(queries, "get_page"):
            return None
        page = queries.get_page(conn, web, topic)
        if page is None:
            return None
        return RunbookText(web, topic, int(page["revision"]), str(page["text"]))

    def can_execute(self, conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool:
        """Staff only, and the topic's EXECUTE access control when the wiki provides it."""
        if not actor.is_staff:
            return False
        queries = self._queries()
        check = cast(Callable[..., bool] | None, getattr(queries, "can_execute", None))
        return True if check is None else bool(check(conn, actor, web, topic))


class DictRunbookSource:
    """Runbooks held in memory (``hub runbooks`` demos, hosts without the wiki)."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], RunbookText] = {}

    def put(self, web: str, topic: str, text: str) -> RunbookText:
        old = self.pages.get((web, topic))
        page = RunbookText(web, topic, (old.revision if old else 0) + 1, text)
        self.pages[(web, topic)] = page
        return page

    def get(self, conn: sa.Connection, web: str, topic: str) -> RunbookText | None:
        return self.pages.get((web, topic))

    def can_execute(self, conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool:
        return actor.is_staff


def source_of(hub: Any) -> RunbookSource:
    source = hub.services.get("runbook_source")
    if source is None:
        source = hub.services["runbook_source"] = WikiRunbookSource()
    return cast(RunbookSource, source)
