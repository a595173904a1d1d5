"""TWiki topic files and TML conversion."""

from datetime import UTC, datetime

from hub.wiki.tml import parse_topic_file, tml_to_markdown

TOPIC_FILE = (
    '%META:TOPICINFO{author="AliceOps" date="1700000000" format="1.1" version="1.3"}%\n'
    '%META:TOPICPARENT{name="WebHome"}%\n'
    "---+ Drain\n"
    "Body text\n"
    "\n"
    '%META:FORM{name="RunbookForm"}%\n'
    '%META:FIELD{name="Host" title="Host name" value="web%221%22%0aweb2"}%\n'
    '%META:FILEATTACHMENT{name="diagram.png" attr="h" comment="" size="1024" user="AliceOps"}%\n'
    '%META:PREFERENCE{name="ALLOWTOPICCHANGE" title="ALLOWTOPICCHANGE" type="Set" '
    'value="OpsGroup"}%\n'
)


def test_given_topic_file_when_parsed_then_meta_and_body_separated() -> None:
    topic = parse_topic_file(TOPIC_FILE)
    assert topic.body == "---+ Drain\nBody text\n"
    assert (topic.author, topic.version, topic.parent, topic.form) == (
        "AliceOps", "1.3", "WebHome", "RunbookForm"
    )
    assert topic.date == datetime.fromtimestamp(1700000000, UTC)
    assert topic.fields == [{"name": "Host", "title": "Host name", "value": 'web"1"\nweb2'}]
    assert topic.attachments[0]["name"] == "diagram.png"
    assert topic.preferences[0]["value"] == "OpsGroup"


def test_given_headings_when_converted_then_hashes() -> None:
    assert tml_to_markdown("---+ One\n---++!! Two\n---++++++ Six") == (
        "# One\n\n## Two\n\n###### Six\n"
    )


def test_given_inline_tml_when_converted_then_markdown_emphasis_and_code() -> None:
    out = tml_to_markdown("*bold* _it_ __both__ =code= ==bc== a*b*c (*p*) =x *y* z=")
    # italics stay _x_ and bold italics __x__: the renderer reads TML (was *it*, ***both***)
    assert out == "**bold** _it_ __both__ `code` **`bc`** a*b*c (**p**) `x *y* z`\n"


def test_given_lists_when_converted_then_nested_markdown_lists() -> None:
    out = tml_to_markdown("Intro\n   * one\n      * nested\n   1. first\n   a. alpha\nAfter")
    assert out == "Intro\n\n* one\n    * nested\n1. first\n1. alpha\n\nAfter\n"


def test_given_table_when_converted_then_header_separator_added() -> None:
    out = tml_to_markdown("| *Host* | *Role* |\n| web1 | *front* |\n| db1 |\n")
    assert out == "| Host | Role |\n| --- | --- |\n| web1 | **front** |\n| db1 |  |\n"


def test_given_verbatim_when_converted_then_fenced_and_untouched() -> None:
    out = tml_to_markdown("Run:\n<verbatim>\nrm -rf *tmp* =x=\n</verbatim>\nDone")
    assert out == "Run:\n\n```\nrm -rf *tmp* =x=\n```\n\nDone\n"


def test_given_links_when_converted_then_markdown_links_and_topic_links_kept() -> None:
    out = tml_to_markdown("[[https://x.org/a][Site]] [[WebHome][home]] [[http://y.org]]")
    assert out == "[Site](https://x.org/a) [[WebHome][home]] <http://y.org>\n"


def test_given_other_tml_when_converted_then_verbatim() -> None:
    assert tml_to_markdown("%SEARCH{\"x\"}% <nop>Word %BR%") == "%SEARCH{\"x\"}% <nop>Word %BR%\n"
