"""Foswiki macros: preferences by level, built-ins, IF, MAKETEXT, META, INCLUDE params."""

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.wiki.ifexpr import Env, IfError, evaluate
from hub.wiki.macrolib import TopicMeta
from hub.wiki.macros import MacroContext, expand
from hub.wiki.render import render

NOW = datetime(2024, 3, 5, 14, 7, 9, tzinfo=UTC)
TOPICS = {
    ("System", "DefaultPreferences"): "   * Set COLOUR = grey\n   * Set SITEONLY = site\n"
                                      "   * Set LOCKED = fixed\n"
                                      "   * Set FINALPREFERENCES = LOCKED\n",
    ("Main", "SitePreferences"): "   * Set COLOUR = blue\n   * Set WIKITOOLNAME = OpsWiki\n",
    ("Ops", "WebPreferences"): "   * Set COLOUR = green\n   * Set WEBONLY = web %WEB%\n"
                               "   * Set LOCKED = changed\n   * Set LONG = first line\n"
                               "     second line\n   * Local HIDDEN = web-local\n",
    ("Ops", "Part"): "Part of %INCLUDINGTOPIC% in %WEB%, base %BASETOPIC%, say %GREETING%.",
    ("Main", "Card"): "Card of %WEB%.%TOPIC%",
}
META = TopicMeta(web="Ops", topic="Here", revision=3, author="jane.doe", at=NOW,
                 parent="WebHome", form="HostForm",
                 fields={"Status": "down <b>", "Owner": "alice", "Empty": ""},
                 attachments=[{"name": "log.txt", "comment": "boot <log>", "author": "bob"},
                              {"name": "secret.bin", "comment": "", "hidden": True}],
                 moved={"from": "Ops.OldHere", "to": "Ops.Here", "by": "bob"})


def ctx(**kw: Any) -> MacroContext:
    return MacroContext(include=lambda w, t: TOPICS.get((w, t)), now=lambda: NOW,
                        meta=lambda w, t: META if (w, t) == ("Ops", "Here") else None,
                        exists=lambda w, t: (w, t) in TOPICS or t == "WebHome",
                        user="jane.doe", contexts=frozenset({"view", "authenticated"}), **kw)


def exp(text: str, **kw: Any) -> str:
    return expand(text, web="Ops", topic="Here", context=ctx(**kw)).text


def test_given_preferences_at_three_levels_when_expanded_then_topic_over_web_over_site() -> None:
    assert exp("%COLOUR% %SITEONLY% %WEBONLY%") == "green site web Ops"
    assert exp("   * Set COLOUR = red\n%COLOUR%").endswith("\nred")
    assert exp("%WIKITOOLNAME%") == "OpsWiki"


def test_given_final_preference_when_lower_level_sets_it_then_ignored() -> None:
    assert exp("   * Set LOCKED = mine\n%LOCKED%").endswith("fixed")


def test_given_multiline_and_local_settings_when_expanded_then_foswiki_rules() -> None:
    assert exp("%LONG%") == "first line\nsecond line"
    assert "wiki-alert" in exp("%HIDDEN%")  # Local on WebPreferences: not for this topic
    assert exp("   * Local MINE = here\n%MINE%").endswith("here")


def test_given_builtin_value_macros_when_expanded_then_foswiki_values() -> None:
    out = exp("%SYSTEMWEB% %USERSWEB% %MAINWEB% %TWIKIWEB% %HOMETOPIC% %WIKINAME% "
              "%USERNAME% %WIKIUSERNAME%")
    assert out == "System Main Main System WebHome JaneDoe jane.doe Main.JaneDoe"
    assert exp("a%BR%b%NBSP%c") == "a<br />b&nbsp;c"


def test_given_time_macros_when_expanded_then_formats() -> None:
    assert exp("%DATE%") == "05 Mar 2024"
    assert exp("%GMTIME%") == "05 Mar 2024 - 14:07"
    assert exp('%GMTIME{"$year-$mo-$day $hour:$min:$sec $wday"}%') == "2024-03-05 14:07:09 Tue"
    assert exp('%SERVERTIME{"$iso"}%') == "2024-03-05T14:07:09Z"


def test_given_colour_and_icon_macros_when_rendered_then_spans_survive_sanitiser() -> None:
    out = render("%RED%alert%ENDCOLOR% %NAVY%n%ENDCOLOR% %X% %Y% %T% %H% %I% %P% %Q% %S% %U% "
                 '%ICON{"tip"}%', web="Ops", topic="Here", exists=lambda w, t: False,
                 macros=ctx()).html
    assert '<span class="wiki-color-red">alert</span>' in out
    assert '<span class="wiki-color-navy">n</span>' in out
    for name in ("warning", "choice-yes", "tip", "help", "idea", "pencil", "question", "star",
                 "updated"):
        assert f"wiki-icon-{name}" in out
    assert out.count("wiki-icon-tip") == 2


def test_given_twisty_when_rendered_then_details_with_rendered_body() -> None:
    out = render('%TWISTY{showlink="Show steps" start="show"}%\n   * *step* one\n%ENDTWISTY%',
                 web="Ops", topic="Here", exists=lambda w, t: False, macros=ctx()).html
    assert '<details class="wiki-twisty" open>' in out or '<details class="wiki-twisty" open="">' \
        in out
    assert "<summary>Show steps</summary>" in out and "<strong>step</strong>" in out
    assert "</details>" in out


@pytest.mark.parametrize(("cond", "expected"), [
    ("$ WEB = 'Ops'", "yes"), ("$WEB='Main'", "no"), ("defined COLOUR", "yes"),
    ("defined NOSUCHPREF", "no"), ("context authenticated", "yes"), ("context edit", "no"),
    ("istopic 'Main.Card'", "yes"), ("istopic NoSuchTopic", "no"),
    ("$ WEB = 'Ops' and not context edit", "yes"), ("context edit or 2 > 10", "no"),
    ("(1 < 2) and ('b' > 'a')", "yes"), ("Owner = 'alice'", "yes"), ("Status ~ 'down*'", "yes"),
    ("$ COLOUR != 'green'", "no"), ("10 >= 9", "yes"), ("$ TOPIC =~ '^He'", "yes"),
])
def test_given_if_conditions_when_expanded_then_branch(cond: str, expected: str) -> None:
    assert exp(f'%IF{{"{cond}" then="yes" else="no"}}%') == expected


def test_given_if_with_macros_in_branches_when_expanded_then_chosen_branch_expanded() -> None:
    assert exp('%IF{"defined COLOUR" then="$percntCOLOUR$percnt" else="none"}%') == "green"


def test_given_bad_if_syntax_when_expanded_then_notice_not_exception() -> None:
    result = expand('%IF{"$ WEB = " then="y"}%', web="Ops", topic="Here", context=ctx())
    assert "wiki-notice" in result.text and result.errors
    with pytest.raises(IfError):
        evaluate("__import__('os')", Env(lambda n: None, lambda n: None, frozenset(),
                                         lambda n: False, lambda n: False))


def test_given_maketext_when_expanded_then_arguments_and_quantities() -> None:
    assert exp('%MAKETEXT{"Hello [_1], you have [_2] new ~[mail~]" args="Bob, 3"}%') == \
        "Hello Bob, you have 3 new [mail]"
    assert exp('%MAKETEXT{"[*,_1,ticket]" args="1"}%') == "1 ticket"
    assert exp('%MAKETEXT{"[*,_1,ticket]" args="4"}%') == "4 tickets"


def test_given_formfield_and_meta_when_expanded_then_escaped_values() -> None:
    assert exp('%FORMFIELD{"Status"}%') == "down &lt;b&gt;"
    assert exp('%FORMFIELD{"Empty" default="n/a"}% %FORMFIELD{"Nope" alttext="none"}%') == \
        "n/a none"
    assert exp('%FORMFIELD{"Owner" format="owner: $value"}%') == "owner: alice"
    assert exp('%META{"formfield" name="Owner"}%') == "alice"
    form = exp('%META{"form"}%')
    assert "<caption>HostForm</caption>" in form and "down &lt;b&gt;" in form
    files = exp('%META{"attachments"}%')
    assert "log.txt" in files and "boot &lt;log&gt;" in files and "secret.bin" not in files
    assert exp('%META{"parent"}%') == "[[Ops.WebHome][WebHome]]"
    assert "moved from Ops.OldHere by bob" in exp('%META{"moved"}%')


def test_given_revinfo_when_expanded_then_revision_author_and_date() -> None:
    assert exp("%REVINFO%") == "r3 - 05 Mar 2024 - 14:07 - Main.JaneDoe"
    assert exp('%REVINFO{"$rev by $username"}%') == "3 by jane.doe"


def test_given_include_with_macro_target_and_params_when_expanded_then_inner_first() -> None:
    assert exp('%INCLUDE{"%USERSWEB%.Card"}%') == "Card of Main.Card"
    assert exp('%INCLUDE{"Part" GREETING="hello"}%') == \
        "Part of Here in Ops, base Here, say hello."


def test_given_nested_macros_in_arguments_when_expanded_then_innermost_first() -> None:
    assert exp('%IF{"$ WEB = \'%WEB%\'" then="%IF{"defined COLOUR" then="deep"}%"}%') == "deep"


def test_given_unknown_and_escaped_macros_when_rendered_then_marked_and_literal() -> None:
    out = render("%NOSUCH% %NOSUCH{\"a\"}% !%WEB% 100% sure", web="Ops", topic="Here",
                 exists=lambda w, t: False, macros=ctx()).html
    assert '<span class="wiki-alert">%NOSUCH%</span>' in out
    assert '<span class="wiki-alert">%NOSUCH{"a"}%</span>' in out
    assert "%WEB% 100% sure" in out


def test_given_preference_loop_when_expanded_then_terminates() -> None:
    out = exp("   * Set A = x%B%\n   * Set B = y%A%\n%A%")
    assert out.splitlines()[-1].startswith("xy")
