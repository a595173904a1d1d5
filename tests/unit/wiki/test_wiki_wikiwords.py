"""WikiWord detection, backlinks and rename rewriting on raw topic text."""

import pytest

from hub.wiki.wikiwords import extract_links, is_wikiword, qualify_links, rewrite_links


@pytest.mark.parametrize("word", ["WebHome", "DrainWebNode", "Web2Home", "ABcD"])
def test_given_camel_case_when_checked_then_wikiword(word: str) -> None:
    assert is_wikiword(word)


@pytest.mark.parametrize("word", ["ABC", "Webhome", "webHome", "HTTPS", "Web"])
def test_given_non_camel_case_when_checked_then_not_wikiword(word: str) -> None:
    assert not is_wikiword(word)


def test_given_prose_when_extracting_then_plain_qualified_and_bracket_links_found() -> None:
    text = "See WebHome, Main.UserList, [[Ops.DrainWebNode][drain]] and [[restore a host]]."
    assert extract_links(text, "Ops") == {
        ("Ops", "WebHome"), ("Main", "UserList"), ("Ops", "DrainWebNode"),
        ("Ops", "RestoreAHost"),
    }


def test_given_code_urls_and_escapes_when_extracting_then_ignored() -> None:
    text = (
        "`CodeWord` !EscapedWord http://example.com/UrlWord ?q=QueryWord ABC iPhoneX\n"
        "[label](/wiki/Ops/LinkTarget)\n"
        "```\nFencedWord\n```\n"
        "![[Web.EscapedLink]]\n"
    )
    assert extract_links(text, "Ops") == set()


def test_given_bare_word_when_renamed_within_web_then_stays_bare() -> None:
    text = "Go to DrainWebNode, not DrainWebNodes."
    assert rewrite_links(text, ("Ops", "DrainWebNode"), ("Ops", "DrainNode"), "Ops") == (
        "Go to DrainNode, not DrainWebNodes."
    )


def test_given_links_when_renamed_to_other_web_then_qualified_and_labels_kept() -> None:
    text = (
        "DrainWebNode Ops.DrainWebNode [[DrainWebNode][the drain]] [[Ops.DrainWebNode#Step]]\n"
        "```\nDrainWebNode\n```\n`DrainWebNode` !DrainWebNode Main.DrainWebNode\n"
    )
    out = rewrite_links(text, ("Ops", "DrainWebNode"), ("Runbooks", "DrainNode"), "Ops")
    assert out == (
        "Runbooks.DrainNode Runbooks.DrainNode [[Runbooks.DrainNode][the drain]] "
        "[[Runbooks.DrainNode#Step]]\n"
        "```\nDrainWebNode\n```\n`DrainWebNode` !DrainWebNode Main.DrainWebNode\n"
    )


def test_given_other_web_text_when_qualified_then_links_keep_their_web() -> None:
    out = qualify_links("WebHome and [[UserList][users]] and Ops.Other", "Main")
    assert out == "Main.WebHome and [[Main.UserList][users]] and Ops.Other"
