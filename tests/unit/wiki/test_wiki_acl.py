"""TWiki access control order."""

import pytest

from hub.wiki.acl import decide, parse_settings, prefs_from_text

ANY: dict[str, list[str]] = {}


def test_given_no_settings_when_deciding_then_allowed() -> None:
    assert decide("alice", [], "VIEW", ANY, ANY)


def test_given_user_in_denytopic_when_deciding_then_denied_even_if_allowed() -> None:
    prefs = {"DENYTOPICCHANGE": ["alice"], "ALLOWTOPICCHANGE": ["alice"]}
    assert not decide("alice", [], "CHANGE", prefs, ANY)
    assert decide("bob", [], "CHANGE", {"DENYTOPICCHANGE": ["alice"]}, ANY)


def test_given_group_in_denytopic_when_member_then_denied() -> None:
    assert not decide("alice", ["OpsGroup"], "VIEW", {"DENYTOPICVIEW": ["Main.OpsGroup"]}, ANY)


def test_given_empty_denytopic_when_web_denies_then_still_allowed() -> None:
    web = {"DENYWEBVIEW": ["alice"], "ALLOWWEBVIEW": ["bob"]}
    assert decide("alice", [], "VIEW", {"DENYTOPICVIEW": []}, web)
    assert not decide("alice", [], "VIEW", {}, web)


def test_given_allowtopic_when_not_listed_then_denied_and_web_not_consulted() -> None:
    topic = {"ALLOWTOPICCHANGE": ["OpsGroup"]}
    assert decide("carol", ["OpsGroup"], "CHANGE", topic, {"DENYWEBCHANGE": ["carol"]})
    assert not decide("dave", [], "CHANGE", topic, {"ALLOWWEBCHANGE": ["dave"]})


def test_given_web_lists_when_no_topic_settings_then_web_rules_apply() -> None:
    web = {"DENYWEBEXECUTE": ["mallory"], "ALLOWWEBEXECUTE": ["OpsGroup", "mallory"]}
    assert not decide("mallory", [], "EXECUTE", ANY, web)
    assert decide("olga", ["OpsGroup"], "EXECUTE", ANY, web)
    assert not decide("pete", [], "EXECUTE", ANY, web)


def test_given_empty_allow_lists_when_deciding_then_ignored() -> None:
    assert decide("x", [], "RENAME", {"ALLOWTOPICRENAME": []}, {"ALLOWWEBRENAME": []})


def test_given_admin_group_when_everything_denies_then_allowed() -> None:
    prefs = {"DENYTOPICVIEW": ["root"]}
    assert decide("root", ["AdminGroup"], "VIEW", prefs, {"ALLOWWEBVIEW": ["nobody"]})


def test_given_unknown_action_when_deciding_then_error() -> None:
    with pytest.raises(ValueError, match="FLY"):
        decide("a", [], "FLY", ANY, ANY)


def test_given_topic_text_when_parsed_then_twiki_settings_found() -> None:
    text = (
        "Intro\n"
        "   * Set ALLOWTOPICCHANGE = AdminGroup, alice\n"
        "      bob\n"
        "   * Set DENYTOPICVIEW =\n"
        "\t* Set OTHER = 1\n"
        "* Set NOTINDENTED = x\n"
        "   * Set ALLOWWEBVIEW = Main.OpsGroup carol\n"
    )
    assert parse_settings(text)["OTHER"] == "1"
    assert "NOTINDENTED" not in parse_settings(text)
    assert prefs_from_text(text) == {
        "ALLOWTOPICCHANGE": ["AdminGroup", "alice", "bob"],
        "DENYTOPICVIEW": [],
        "ALLOWWEBVIEW": ["Main.OpsGroup", "carol"],
    }


def test_given_string_prefs_from_dict_when_deciding_then_split_like_twiki() -> None:
    assert decide("bob", [], "CHANGE", {"ALLOWTOPICCHANGE": "alice, bob"}, ANY)
    assert not decide("eve", [], "CHANGE", {"ALLOWTOPICCHANGE": "alice, bob"}, ANY)
