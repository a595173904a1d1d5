"""Snippet escaping and the staff-only field guard, without an index on disk."""

from __future__ import annotations

from whoosh.highlight import ContextFragmenter, highlight
from whoosh.qparser import MultifieldParser

from hub.search.index import make_schema
from hub.search.service import MarkFormatter, _strip_staff_fields


def test_mark_formatter_escapes_everything_but_its_marks() -> None:
    schema = make_schema()
    text = "<script>x</script> wombat & <b>co</b>"
    analyzer = schema["content"].analyzer
    out = highlight(text, {"wombat"}, analyzer, ContextFragmenter(surround=100), MarkFormatter())
    assert "<mark>wombat</mark>" in out
    assert "<script>" not in out and "&lt;/script&gt;" in out and "&amp;" in out
    plain = highlight(text, {"wombat"}, analyzer, ContextFragmenter(), MarkFormatter(False))
    assert "<mark>" not in plain and "wombat" in plain


def test_staff_only_fields_are_removed_from_customer_queries() -> None:
    parser = MultifieldParser(["title", "content"], make_schema())
    for text in ("content_staff:secret", "readers:x@example.com", "tviewers:carl",
                 "content:ok OR content_staff:secret"):
        stripped = _strip_staff_fields(parser.parse(text))
        fields = {leaf.field() for leaf in stripped.leaves()} if stripped.leaves else set()
        assert not fields & {"content_staff", "readers", "tviewers"}, text
    kept = _strip_staff_fields(parser.parse("queue:ops printer"))
    assert {leaf.field() for leaf in kept.leaves()} == {"queue", "title", "content"}
