"""Confirm ticket hits a staff viewer may see only part of.

Staff words search one combined field (``content_staff``: the public text, comments and
internal fields), so a hit found there may rest on text this viewer may not read on that
ticket (a managed queue grants ShowTicket without ShowTicketComments, or comments without
SeeInternalFields). Each such hit is matched again with the same words: against the
index's public field when the viewer sees neither comments nor internal fields there,
else against a small in-memory index of just those documents, each holding only the
text this viewer may read on it. So a comment word finds a ticket exactly for those who
may read its comments, as the ticket list's ``q=`` decides too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage


def confirmed(searcher: Any, q: Any, public_q: Any, hits: Iterable[Any], *,
              comments: set[int], internal: set[int],
              fields_text: Callable[[Any], str]) -> set[str]:
    """Keys of ``hits`` that the query matches on the text the viewer may see there.

    ``comments`` / ``internal``: ticket ids where the viewer may read comments / internal
    fields; ``fields_text(hit)``: the hit's custom fields as the viewer may see them.
    """
    hits = list(hits)
    public_only = [h["key"] for h in hits if int(h["ref"]) not in comments | internal]
    partial = [h for h in hits if int(h["ref"]) in comments | internal]
    found = _on_public_text(searcher, public_q, public_only)
    if partial:
        found |= _on_visible_text(searcher.schema, q, partial, comments, fields_text)
    return found


def _on_public_text(searcher: Any, public_q: Any, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    only = wq.Or([wq.Term("key", k) for k in keys])
    return {hit["key"] for hit in searcher.search(wq.And([public_q, only]), limit=len(keys),
                                                  scored=False)}


def _on_visible_text(schema: Any, q: Any, hits: list[Any], comments: set[int],
                     fields_text: Callable[[Any], str]) -> set[str]:
    index = RamStorage().create_index(schema)
    writer = index.writer()
    for hit in hits:
        stored = dict(hit.fields())
        private = str(stored.get("private") or "") if int(hit["ref"]) in comments else ""
        visible = "\n".join(str(part or "") for part in (
            stored.get("title"), stored.get("title"), stored.get("body"), fields_text(hit),
            stored.get("attachments"), private))
        writer.add_document(**{**stored, "content": visible, "content_staff": visible})
    writer.commit()
    with index.searcher() as ram:
        return {hit["key"] for hit in ram.search(q, limit=None, scored=False)}
