"""Real-world mail read faithfully: forwarded messages as sent, fallback charsets,
uuencoded files, broken encoded words, unnamed parts, reports without report-type.

Every fixture here was written for these tests (tests/fixtures/mail/), each after a shape
seen from real clients and MTAs; the integration tests send the same files over SMTP.
"""

# ruff: noqa: RUF001 - the fixtures are about non-ASCII text, confusables included
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

import pytest

from hub.config import load_settings
from hub.mail.charsets import decode_undeclared, decode_words
from hub.mail.parsing import ParsedMail, parse_message
from hub.mail.rawparts import original_part
from hub.mail.uuencode import extract_uuencoded

SITE = ("utf-8", "cp1252", "iso-8859-1", "koi8-r", "cp1251", "shift_jis", "gb18030")
INNER_START = b"Received: from mx.partner.example by relay (8.9.3)\r\nFrom: Broken Sender"


def test_forwarded_message_with_malformed_headers_is_kept_byte_for_byte(
        raw: Callable[[str], bytes]) -> None:
    data = raw("forwarded_malformed.eml")
    parsed = parse_message(data)
    (forwarded,) = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    start = data.index(INNER_START)
    end = data.index(b"\r\n--=-outer-=--")
    assert forwarded.content == data[start:end]  # headers unrefolded, 8-bit bytes intact
    assert b"Subject: caf\xe9 cr\xe8me =?utf-8?Q?incompl\r\n" in forwarded.content
    assert forwarded.filename == "attachment-1.eml"
    assert parsed.text.strip() == "See the attached alarm, forwarded as is."


def test_original_part_is_found_below_nested_boundaries() -> None:
    inner = b"From: x@y.example\r\nSubject: nested\r\n\r\nbody\r\n"
    data = (b"Content-Type: multipart/mixed; boundary=a\r\n\r\npreamble\r\n--a\r\n"
            b"Content-Type: text/plain\r\n\r\nfirst\r\n--a\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: text/plain\r\n\r\nsecond\r\n--b\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--b--\r\n--a--\r\n")
    assert original_part(data, [("a", 1), ("b", 1)]) == inner
    assert original_part(data, [("a", 5)]) is None
    parsed = parse_message(data)
    assert [a.content for a in parsed.attachments if a.content_type == "message/rfc822"] == [
        inner]


def test_undeclared_koi8r_needs_the_site_list(raw: Callable[[str], bytes]) -> None:
    default = parse_message(raw("undeclared_koi8r.eml"))
    assert "Сервер" not in default.subject  # cp1252 decodes anything: mojibake, no crash
    site = parse_message(raw("undeclared_koi8r.eml"), encodings=SITE)
    assert site.subject == "Сервер не отвечает"
    assert site.text.startswith("Здравствуйте!\nПосле обновления сервер базы данных")


@pytest.mark.parametrize(("text", "charset"), [
    ("Сервер базы данных не отвечает на запросы", "cp1251"),
    ("サーバーが応答しません。再起動してください。", "shift_jis"),
    ("服务器没有响应，请检查日志文件。", "gb18030"),
    ("Grüße aus Köln: das Gerät läuft nicht", "cp1252"),
    ("Der Drucker ist kaputt – schon wieder …", "cp1252"),
])
def test_fallback_list_is_helped_by_the_detector(text: str, charset: str) -> None:
    assert decode_undeclared(text.encode(charset), SITE) == text


def test_utf8_wins_and_the_list_order_is_kept_without_a_detector_choice() -> None:
    assert decode_undeclared("naïve café".encode(), SITE) == "naïve café"
    assert decode_undeclared(b"caf\xe9", ("utf-8", "iso-8859-1")) == "café"
    assert decode_undeclared(b"\x81\x8d", ("utf-8",)) == "\x81\x8d"  # latin-1, never raises


def test_headers_share_the_charset_the_body_was_found_in() -> None:
    short = "Тема".encode("koi8-r")  # four letters: too short to detect alone
    body = "Здравствуйте, сервер базы данных не отвечает после обновления.".encode("koi8-r")
    data = (b"From: a@example.ru\r\nTo: general@hub.test\r\nSubject: " + short +
            b"\r\nMessage-ID: <h1@example.ru>\r\n\r\n" + body)
    assert parse_message(data, encodings=SITE).subject == "Тема"


def test_setting_names_the_fallback_list() -> None:
    env = {"HUB_DATA_DIR": "/nonexistent-hub", "HUB_SECRET_KEY": "k",
           "HUB_MAIL_INPUT_ENCODINGS": "utf-8, cp1252, iso-8859-1, koi8-r, cp1251"}
    assert load_settings(env).mail_input_encodings[-2:] == ("koi8-r", "cp1251")
    assert load_settings({"HUB_DATA_DIR": "/nonexistent-hub", "HUB_SECRET_KEY": "k"}
                         ).mail_input_encodings == ("utf-8", "cp1252", "iso-8859-1")
    with pytest.raises(LookupError):
        load_settings({**env, "HUB_MAIL_INPUT_ENCODINGS": "utf-8, klingon-8"})


def test_uuencoded_files_become_attachments(raw: Callable[[str], bytes]) -> None:
    parsed = parse_message(raw("uuencoded.eml"))
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [("dump.bin", "application/octet-stream"), ("report.txt", "text/plain")]
    assert parsed.attachments[0].content == bytes(range(256)) * 3 + b"uuencoded payload end"
    assert parsed.attachments[1].content == b"disk usage report\nsda1 91%\n"
    assert "begin 644" not in parsed.text and "[attached: dump.bin]" in parsed.text
    assert parsed.text.rstrip().endswith("Thanks, Old Client")


def test_uuencode_decoding_is_lenient_and_leaves_prose_alone() -> None:
    line = binascii.b2a_uu(b"hello world").decode().rstrip("\n") + "xx"  # padded wrongly
    text, files = extract_uuencoded(f"begin 644 a.txt\n{line}\n`\nend\n")
    assert [f.content for f in files] == [b"hello world"]
    prose = "Let us begin 644 tasks tomorrow.\nThe end\n"
    assert extract_uuencoded(prose) == (prose, [])
    assert text == "[attached: a.txt]\n"


def test_broken_encoded_words_are_read(raw: Callable[[str], bytes]) -> None:
    parsed = parse_message(raw("broken_encoded_words.eml"))
    # An unknown charset (latin-1 bytes) and a word without its closing ?=: the stdlib
    # leaves U+FFFD and the raw word; the lenient reader gives what the sender typed.
    assert parsed.subject == "Grüße aus Köln – Drucker kaputt"
    assert parsed.from_name == "Jürgen"
    names = [a.filename for a in parsed.attachments]
    assert names == ["attachment-1.bin", "attachment-2.pdf", "Prüfbericht März.txt"]
    assert "None" not in " ".join(str(n) for n in names)


@pytest.mark.parametrize(("value", "expected"), [
    ("=?utf-8?B?" + base64.b64encode("Grüße".encode()).decode().rstrip("=") + "?=", "Grüße"),
    ("=?x-unknown?Q?Gr=FC=DFe?= aus Köln", "Grüße aus Köln"),
    ("=?utf-8?Q?caf=C3=A9?= =?utf-8?Q?_ok?=", "café ok"),
    ("=?utf-8?B?U3TDtnJ1bmc6IMM=?= =?UTF-8?b?nGJlcmxhdWY?=", "Störung: Überlauf"),  # split Ü
    ("=?utf-8?Q?Gr=C3=BC=C3=9Fe", "Grüße"),  # no closing ?=
    ("Re: =?utf-8?q?Alarm?=: disk", "Re: Alarm: disk"),
    ("=?utf-8?B?not base64 at all?=", "=?utf-8?B?not base64 at all?="),
    ("plain", "plain"),
])
def test_decode_words_is_lenient(value: str, expected: str) -> None:
    assert decode_words(value) == expected


def test_report_without_report_type_is_a_bounce(parsed: Callable[[str], ParsedMail]) -> None:
    assert parsed("dsn_without_report_type.eml").is_dsn


def test_dotless_and_empty_senders(parsed: Callable[[str], ParsedMail]) -> None:
    assert parsed("dotless_sender.eml").from_addr == "root@localhost"
    assert parsed("empty_sender.eml").from_addr is None


def test_report_without_report_type_names_its_recipient(raw: Callable[[str], bytes]) -> None:
    from hub.mail.dsn import parse_dsn

    report = parse_dsn(raw("dsn_without_report_type.eml"), "")
    assert report is not None and report.standard
    (rcpt,) = report.recipients
    assert (rcpt.final_recipient, rcpt.status, rcpt.permanent) == ("gone@example.org", "5.1.1",
                                                                   True)


def test_guessed_charsets_and_broken_words_are_noted(raw: Callable[[str], bytes]) -> None:
    """Noted defects make the pipeline keep the original as message.eml beside the text."""
    koi8 = parse_message(raw("undeclared_koi8r.eml"), encodings=SITE)
    assert "charset: undeclared 8-bit text read as koi8-r" in koi8.defects
    words = parse_message(raw("broken_encoded_words.eml"))
    assert "Subject: broken encoded words read leniently" in words.defects
    assert parse_message(raw("dotless_sender.eml")).defects == ()


def test_fit_moves_what_a_ticket_cannot_hold(raw: Callable[[str], bytes]) -> None:
    from dataclasses import replace

    from hub.mail.salvage import fit

    data = raw("dotless_sender.eml")
    base = parse_message(data)
    assert fit(base, data) == (base, [])  # nothing to move: unchanged
    big = replace(base, text="x" * 1_500_000, html="<p>" + "y" * 1_200_000 + "</p>",
                  subject="s" * 700)
    fitted, moved = fit(big, data)
    assert moved == ["subject", "body.txt", "body.html"]
    assert len(fitted.text) < 1_000_000 and fitted.html is None
    files = {a.filename: a.content for a in fitted.attachments}
    assert files["body.txt"].decode().startswith("x" * 1_500_000)
    assert files["body.txt"].decode().endswith("s" * 700 + "]")  # the full subject kept
    assert files["body.html"].decode().count("y") == 1_200_000
    lossy = parse_message(raw("broken_encoded_words.eml"))
    fitted, moved = fit(lossy, raw("broken_encoded_words.eml"))
    assert moved == ["message.eml"]
    assert fitted.attachments[-1].content == raw("broken_encoded_words.eml")
