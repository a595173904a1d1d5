"""Where runbook text and the right to execute it come from: the wiki, behind a seam.

A runbook is a wiki topic; the run pins the revision it started from. The wiki
feature provides ``hub.wiki.queries.get_page`` and ``can_execute``; this module
only adapts them, so the run model never depends on how pages are stored.
"""

from __future__ import annotations

import re
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
    title: str = ""


class RunbookSource(Protocol):
    def get(self, conn: sa.Connection, web: str, topic: str) -> RunbookText | None: ...

    def runbooks(self, conn: sa.Connection, actor: Actor) -> list[RunbookText]: ...

    def can_execute(self, conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool: ...


def split_name(runbook: str) -> tuple[str, str]:
    """``"Runbooks.DrainWebNode"`` -> ``("Runbooks", "DrainWebNode")``, or a 422."""
    web, dot, topic = str(runbook).partition(".")
    if not dot or not _NAME.fullmatch(web) or not _NAME.fullmatch(topic):
        raise ValidationError(f"runbook {runbook!r} is not a Web.Topic name", param="runbook")
    return web, topic


class WikiRunbookSource:
    """The wiki's read model and its EXECUTE access control."""

    def get(self, conn: sa.Connection, web: str, topic: str) -> RunbookText | None:
        from hub.wiki.queries import get_page

        page = get_page(conn, web, topic)
        if page is None:
            return None
        return RunbookText(web, topic, int(page["revision"]), str(page["text"]),
                           str(page.get("title") or ""))

    def runbooks(self, conn: sa.Connection, actor: Actor) -> list[RunbookText]:
        """Every topic with an ``op`` block that ``actor`` may view (the runbooks index)."""
        from hub.wiki.queries import pages_with_fence

        return [RunbookText(p["web"], p["topic"], int(p["revision"]), str(p["text"]),
                            str(p["title"])) for p in pages_with_fence(conn, actor, "op")]

    def can_execute(self, conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool:
        """Staff only, and only where the topic's EXECUTE access control allows it."""
        from hub.wiki.queries import can_execute

        return actor.is_staff and can_execute(conn, actor, web, topic)


def source_of(hub: Any) -> RunbookSource:
    source = hub.services.get("runbook_source")
    if source is None:
        source = hub.services["runbook_source"] = WikiRunbookSource()
    return cast(RunbookSource, source)
