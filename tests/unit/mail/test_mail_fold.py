"""fold_quoted: split new text from quoted history for the UI."""

from __future__ import annotations

from collections.abc import Callable

from hub.mail.parsing import ParsedMail, fold_quoted


def test_fixture_reply_folds_signature_and_quote(parsed: Callable[[str], ParsedMail]) -> None:
    new, history = fold_quoted(parsed("reply_quoted.eml").text)
    assert new == (
        "Thanks, I deleted the old WAL archives and df now shows 41% used.\n"
        "Can you check the backup job tonight?\n\nAlice"
    )
    assert history.startswith("-- \nAlice Example | DBA")
    assert "wrote:\n> Ticket #42" in history


def test_attribution_and_quote_block_without_signature() -> None:
    new, history = fold_quoted("Done.\n\nOn Tue, Bob <b@x.example> wrote:\n> can you?\n>\n> b\n")
    assert new == "Done."
    assert history == "On Tue, Bob <b@x.example> wrote:\n> can you?\n>\n> b"


def test_german_attribution() -> None:
    new, history = fold_quoted("Erledigt.\n\nAm 01.06.2026 um 10:00 schrieb Bob:\n> Frage\n")
    assert (new, history) == ("Erledigt.", "Am 01.06.2026 um 10:00 schrieb Bob:\n> Frage")


def test_outlook_original_message() -> None:
    text = "Fixed now.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n\nold text\n"
    new, history = fold_quoted(text)
    assert new == "Fixed now."
    assert history.startswith("-----Original Message-----\nFrom: Bob")


def test_outlook_header_block() -> None:
    new, history = fold_quoted("Yes.\n\nFrom: Bob <b@x.example>\nSent: Monday\nSubject: q\n")
    assert new == "Yes."
    assert history.startswith("From: Bob")


def test_inline_replies_stay_visible() -> None:
    text = "> question one\nanswer one\n> question two\nanswer two\n\n> trailing quote\n"
    new, history = fold_quoted(text)
    assert new == "> question one\nanswer one\n> question two\nanswer two"
    assert history == "> trailing quote"


def test_no_history() -> None:
    assert fold_quoted("just text\n") == ("just text", "")
    assert fold_quoted("") == ("", "")


def test_crlf_input() -> None:
    assert fold_quoted("new\r\n-- \r\nsig\r\n") == ("new", "-- \nsig")
