"""parse_message on realistic fixtures and on garbage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.mail.parsing import LOOP_HEADER, ParsedMail, normalise_message_id, parse_message

Load = Callable[[str], ParsedMail]


def test_reply_headers_and_addresses(parsed: Load) -> None:
    mail = parsed("reply_quoted.eml")
    assert mail.message_id == "<CAB4x9Zq1mF0=reply@mail.customer.example>"
    assert not mail.message_id_synthesized
    assert mail.in_reply_to == "<hub.t42.e1007.qg74hva2r7@hub.example.org>"
    assert mail.references == (
        "<CAB4x9Zq0first@mail.customer.example>",
        "<hub.t42.e1007.qg74hva2r7@hub.example.org>",
    )
    assert mail.subject == "Re: [hub #42] Disk full on db1"
    assert (mail.from_addr, mail.from_name) == ("alice@customer.example", "Alice Example")
    assert mail.to == ("general+t42.q64jc6y7pt@hub.example.org",)
    assert mail.cc == ("bob@customer.example", "carol@customer.example")
    assert mail.return_path == "alice@customer.example"
    assert mail.date == datetime(2026, 6, 2, 7, 13, 58, tzinfo=UTC)
    assert mail.text.startswith("Thanks, I deleted the old WAL archives")
    assert "-- \nAlice Example | DBA" in mail.text  # quoted-printable "--=20" decoded
    assert mail.html is None and mail.attachments == ()
    assert mail.sender == "alice@customer.example"


def test_multipart_alternative_prefers_plain_and_sanitises_html(parsed: Load) -> None:
    mail = parsed("alternative.eml")
    assert mail.text.startswith("The BGP session to AS64500 has flapped 12 times")
    assert mail.html is not None
    assert '<a href="https://noc.partner.example/graph/bgp-64500" rel="noopener' in mail.html
    assert "<html>" not in mail.html
    assert mail.attachments == ()


def test_html_only_is_sanitised_and_converted(parsed: Load) -> None:
    mail = parsed("html_only_xss.eml")
    assert mail.html is not None
    for bad in ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe", "<form",
                "<style", "document.cookie", "password"):
        assert bad not in mail.html.lower()
    assert '<a href="https://pay.example.com/invoice/991"' in mail.html
    assert mail.text == (
        "Please pay the attached invoice.\n\n"
        "Open invoice Pay now <https://pay.example.com/invoice/991>"
    )


def test_rfc2231_filename_is_decoded(parsed: Load) -> None:
    mail = parsed("attachment_rfc2231.eml")
    assert mail.text == "Anbei die Logs vom Ausfall heute Nacht.\n"
    (att,) = mail.attachments
    assert att.filename == "Prüfprotokoll \u2013 Nacht.log"
    assert att.content == b"Error: disk full\n"
    assert att.size == 17
    assert att.disposition == "attachment"
    assert att.content_type == "text/plain"
    assert mail.from_name == "Jürgen Müller"


def test_inline_cid_image(parsed: Load) -> None:
    mail = parsed("inline_cid.eml")
    (img,) = mail.attachments
    assert img.content_id == "shot1@customer.example"
    assert img.disposition == "inline"
    assert img.filename == "error.png"
    assert img.content.startswith(b"\x89PNG")
    assert mail.html is not None and "cid:" not in mail.html
    assert mail.text == "See the error:\n\n[screenshot]"


def test_encoded_word_subjects(parsed: Load) -> None:
    b = parsed("subject_utf8_b.eml")
    assert b.subject == "Сервер не отвечает — web2"
    assert b.from_name == "Иван Петров"
    q = parsed("subject_latin1_q.eml")
    assert q.subject == "Problème de sauvegarde à résoudre"
    assert q.from_name == "François Lévesque"
    assert q.text == "La sauvegarde de la base a échoué cette nuit.\n"


def test_wrong_declared_charset_falls_back(parsed: Load) -> None:
    mail = parsed("wrong_charset_ascii.eml")
    assert mail.text == 'The café machine on floor 2 shows "Fehler überhitzt" \u2013 please fix.\n'
    assert mail.subject == "Café machine broken"  # raw 8-bit header decoded as cp1252
    assert "charset: content is not 'us-ascii'" in mail.defects


def test_unknown_charset_falls_back_to_utf8(parsed: Load) -> None:
    mail = parsed("unknown_charset.eml")
    assert mail.text == "Drucker im Büro hängt seit 8 Uhr.\n"
    assert "charset: unknown 'x-unknown'" in mail.defects


def test_missing_charset_is_read_as_utf8(parsed: Load) -> None:
    assert parsed("missing_charset.eml").text == (
        "All 14 jobs finished — résumé export took 12 min.\n"
    )


def test_loop_relevant_headers(parsed: Load) -> None:
    vacation = parsed("vacation_autoreply.eml")
    assert vacation.auto_submitted == "auto-replied (vacation)"
    assert vacation.auto_response_suppress == "all"
    listmail = parsed("list_mail.eml")
    assert listmail.precedence == "list"
    assert listmail.list_id == "Ops announcements <ops-announce.lists.vendor.example>"
    assert listmail.return_path == "ops-announce-bounces@lists.vendor.example"


def test_dsn_flag(parsed: Load) -> None:
    dsn = parsed("postfix_dsn.eml")
    assert dsn.is_dsn
    assert dsn.return_path == ""  # "<>" is the null sender
    assert [a.content_type for a in dsn.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]
    assert parsed("gmail_bounce_loose.eml").is_dsn
    assert not parsed("reply_quoted.eml").is_dsn


def test_missing_message_id_is_synthesised_stably(raw: Callable[[str], bytes]) -> None:
    data = raw("no_message_id.eml")
    first, second = parse_message(data), parse_message(data)
    assert first.message_id_synthesized
    assert first.message_id == second.message_id
    assert first.message_id == f"<{first.content_sha256[:40]}@synthesized.opshub.invalid>"
    assert first.from_addr == "backup@nas01.example" and first.from_name is None
    changed = parse_message(data.replace(b"0 errors", b"1 errors"))
    assert changed.message_id != first.message_id


def test_crlf_line_endings(parsed: Load) -> None:
    mail = parsed("crlf.eml")
    assert mail.subject == "VPN login fails"
    assert mail.text == "Since this morning the VPN rejects my token.\nError: AUTH_FAILED\n"
    assert "\r" not in mail.text


def test_content_sha256_and_envelope(raw: Callable[[str], bytes]) -> None:
    data = raw("crlf.eml")
    mail = parse_message(data, envelope_from="")
    assert mail.envelope_from == ""
    assert len(mail.content_sha256) == 64
    assert mail.content_sha256 == parse_message(data).content_sha256


def test_loop_header_is_read() -> None:
    mail = parse_message(
        f"From: a@b.example\nSubject: x\n{LOOP_HEADER}: hub.example.org\n\nbody\n".encode()
    )
    assert mail.loop == "hub.example.org"


def test_broken_multipart_keeps_text_and_reports_defects() -> None:
    mail = parse_message(b"Subject: x\nContent-Type: multipart/mixed\n\nno boundary here\n")
    assert mail.text == "no boundary here\n"
    assert "MIME: NoBoundaryInMultipartDefect" in mail.defects
    assert mail.attachments == ()


def test_nul_bytes_and_garbage_headers_do_not_break() -> None:
    mail = parse_message(b"From: <<<>>>\nTo: ,,,@\nDate: yesterday\nSubject: a\x00b\n\nx\x00y")
    assert mail.text == "xy"
    assert mail.subject == "ab"
    assert mail.date is None
    assert "Date: unparseable" in mail.defects


def test_normalise_message_id() -> None:
    assert normalise_message_id("  <a@b>  (comment) <c@d>") == "<a@b>"
    assert normalise_message_id("bare@id.example") == "<bare@id.example>"
    assert normalise_message_id("") is None
    assert normalise_message_id("two words") is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_random_bytes(data: bytes) -> None:
    mail = parse_message(data)
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=80),
    st.sampled_from(["utf-8", "us-ascii", "x-unknown", "iso-8859-1", "", "utf-16", "rot13"]),
)
def test_parse_never_raises_on_odd_charsets(body: str, charset: str) -> None:
    head = f"Content-Type: text/plain; charset={charset}\n" if charset else ""
    mail = parse_message(f"Subject: t\n{head}\n".encode() + body.encode("utf-8", "replace"))
    assert isinstance(mail.text, str)


_FRAGMENTS = [
    b"Content-Type: multipart/mixed; boundary=b\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Type: message/delivery-status\n",
    b"Content-Type: text/plain; charset=x-bogus\n",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"Content-Disposition: attachment; filename*=bogus''%ZZ\n",
    b"Subject: =?utf-8?B?broken?=\n",
    b"From: \xff\xfe <@>\n",
    b"\n",
    b"--b\n",
    b"--b--\n",
    b"=E9=\n",
    b"aGVsbG8\n",
    b"\xc3\x28\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=30))
def test_parse_never_raises_on_broken_mime(parts: list[bytes]) -> None:
    mail = parse_message(b"".join(parts))
    assert isinstance(mail.text, str)
    assert all(isinstance(a.content, bytes) for a in mail.attachments)
