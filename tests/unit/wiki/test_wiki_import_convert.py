"""Import conversion: TML to Markdown while keeping preference lines verbatim."""

from __future__ import annotations

from hub.wiki.acl import prefs_from_text
from hub.wiki.importer import convert_body, topic_markdown
from hub.wiki.tml import parse_topic_file


def test_set_lines_and_continuations_survive_conversion() -> None:
    body = ("---+ Title\n\n   * item *bold*\n   * Set ALLOWTOPICVIEW = AliceSmith,\n"
            "      BobJones\nPlain text\n")
    text = convert_body(body)
    assert text.startswith("# Title\n\n* item **bold**\n")
    assert "   * Set ALLOWTOPICVIEW = AliceSmith,\n      BobJones" in text
    assert prefs_from_text(text) == {"ALLOWTOPICVIEW": ["AliceSmith", "BobJones"]}


def test_meta_preferences_become_settings() -> None:
    raw = ('Hello\n%META:PREFERENCE{name="ALLOWTOPICCHANGE" title="ALLOWTOPICCHANGE" '
           'type="Set" value="AdminGroup"}%\n')
    text = topic_markdown(parse_topic_file(raw))
    assert prefs_from_text(text) == {"ALLOWTOPICCHANGE": ["AdminGroup"]}
    assert "%META" not in text
