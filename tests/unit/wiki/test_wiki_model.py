"""The Page aggregate's rules, without a database."""

from __future__ import annotations

import pytest

from hub.actors import Actor
from hub.domain import PermissionDeniedError, StateConflictError, ValidationError
from hub.wiki.model import CHANGE, RENAME, Page

EDITOR = Actor("alice", role="staff", rights=frozenset({CHANGE, RENAME}))
READER = Actor("carl", role="customer")


def test_save_records_created_then_revisions_and_checks_base() -> None:
    page = Page("Ops.Notes")
    assert page.save(EDITOR, "one", base_revision=0, summary="s")
    assert [e.type for e in page.pending] == ["PageCreated", "PageRevised"]
    assert page.pending[1].data == {"revision": 1, "text": "one", "author": "alice",
                                    "summary": "s", "base_revision": 0}
    assert not page.save(EDITOR, "one", base_revision=1)  # no change, no event
    with pytest.raises(StateConflictError):
        page.save(EDITOR, "two", base_revision=0)
    with pytest.raises(PermissionDeniedError):
        page.save(READER, "two", base_revision=1)
    with pytest.raises(ValidationError):
        Page("ops.notes").save(EDITOR, "x", base_revision=0)


def test_rename_moves_state_and_frees_the_old_name() -> None:
    old, new = Page("Ops.Old"), Page("Ops.New")
    old.save(EDITOR, "text", base_revision=0)
    old.rename_to(EDITOR, new)
    assert not old.live and new.live and (new.revision, new.text) == (1, "text")
    assert old.current_revision == 0
    old.save(EDITOR, "again", base_revision=0)
    assert old.live and old.revision == 1
    with pytest.raises(StateConflictError):
        old.rename_to(EDITOR, new)


def test_restore_and_attach_rules() -> None:
    page = Page("Ops.Doc")
    page.save(EDITOR, "a", base_revision=0)
    page.save(EDITOR, "b", base_revision=1)
    page.restore(EDITOR, 1, "a")
    assert (page.revision, page.text) == (3, "a")
    with pytest.raises(ValidationError):
        page.restore(EDITOR, 3, "a")
    assert page.attach(EDITOR, name="f.txt", sha256="0" * 64, size=1, content_type="t") == 1
    assert page.attach(EDITOR, name="f.txt", sha256="1" * 64, size=1, content_type="t") == 2
    with pytest.raises(ValidationError):
        page.attach(EDITOR, name="../etc", sha256="0" * 64, size=1, content_type="t")
