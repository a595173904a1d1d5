"""Outgoing messages and sandboxed templates."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from hub.mail.compose import (
    DEFAULT_TEMPLATES,
    MailTemplate,
    TemplateRenderError,
    compose,
    render_template,
)
from hub.mail.loops import may_autoreply
from hub.mail.parsing import LOOP_HEADER, parse_message

WHEN = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _compose(**overrides: Any) -> EmailMessage:
    args: dict[str, Any] = {
        "to": "alice@customer.example",
        "subject": "[hub #42] Disk full",
        "text": "Grüße aus dem Rechenzentrum\n",
        "from_addr": "General <general@hub.example.org>",
        "message_id": "<hub.t42.e1007.qg74hva2r7@hub.example.org>",
        "auto_submitted": "auto-replied",
        "loop_header_value": "hub.example.org",
        "date": WHEN,
    }
    args.update(overrides)
    return compose(**args)


def _roundtrip(msg: EmailMessage) -> EmailMessage:
    data = msg.as_bytes(policy=policy.SMTP).replace(b"\r\n", b"\n")
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_headers() -> None:
    msg = _roundtrip(
        _compose(in_reply_to="<c@customer.example>", references=["<a@x>", "<b@x>", "<a@x>"],
                 return_path="bounces+t42.o1.x@hub.example.org", cc=["bob@customer.example"])
    )
    assert msg["Date"] == "Mon, 01 Jun 2026 12:00:00 +0000"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-ID"] == "<hub.t42.e1007.qg74hva2r7@hub.example.org>"
    assert msg["In-Reply-To"] == "<c@customer.example>"
    assert msg["References"] == "<a@x> <b@x> <c@customer.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg[LOOP_HEADER] == "hub.example.org"
    assert msg["Return-Path"] == "<bounces+t42.o1.x@hub.example.org>"
    assert msg["Cc"] == "bob@customer.example"
    body = msg.get_body(("plain",))
    assert body is not None and body.get_content() == "Grüße aus dem Rechenzentrum\n"
    assert body["Content-Transfer-Encoding"] == "quoted-printable"
    assert body.get_content_charset() == "utf-8"


def test_our_own_mail_is_never_autoreplied() -> None:
    parsed = parse_message(_compose().as_bytes())
    assert may_autoreply(parsed, "general@hub.example.org", ()) == (
        False,
        "Auto-Submitted: auto-replied",
    )
    human = parse_message(_compose(auto_submitted=None).as_bytes())
    assert human.auto_submitted is None
    assert may_autoreply(human, "x@y.example", ())[1] == "our loop header is present"


def test_long_references_are_folded_and_trimmed() -> None:
    refs = [f"<ref{i}.abcdefghijkl@mail.example.org>" for i in range(40)]
    msg = _compose(references=refs, in_reply_to=refs[-1])
    data = msg.as_bytes(policy=policy.SMTP)
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    header_lines = data.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert max(len(line) for line in header_lines) <= 78
    kept = _roundtrip(msg)["References"].split()
    assert len(kept) == 20
    assert kept[0] == refs[0] and kept[-1] == refs[-1]


def test_html_alternative_and_non_ascii_subject() -> None:
    msg = _roundtrip(_compose(subject="Störung\r\nBcc: evil@x.example", html="<p>Grüße</p>"))
    assert msg["Subject"] == "Störung Bcc: evil@x.example"  # no header injection
    assert msg["Bcc"] is None
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(("html",))
    assert html is not None and html.get_content() == "<p>Grüße</p>\n"


def test_ascii_text_stays_7bit() -> None:
    msg = _compose(text="plain ascii\n")
    assert msg["Content-Transfer-Encoding"] == "7bit"


def test_extra_headers() -> None:
    msg = _compose(extra_headers={"X-OpsHub-Ticket": "42", "X-Note": "a\nb"})
    assert msg["X-OpsHub-Ticket"] == "42"
    assert msg["X-Note"] == "a b"
    for bad in ("Bcc", "Auto-Submitted", "Bad Name", LOOP_HEADER):
        with pytest.raises(ValueError):
            _compose(extra_headers={bad: "x"})


def test_multiple_recipients() -> None:
    msg = _roundtrip(_compose(to=["a@x.example", "B <b@x.example>"]))
    assert msg["To"] == "a@x.example, B <b@x.example>"


CONTEXT = {
    "ticket": {"id": 42, "subject": "Disk full", "queue": "General",
               "url": "https://hub.example.org/tickets/42"},
    "tag": "hub",
    "actor": "Olga",
    "body": "Cleaned up.",
    "errors": ["Priority: 'urgent' is not a priority between 0 and 99"],
}


def test_default_templates_render() -> None:
    assert set(DEFAULT_TEMPLATES) == {
        "autoreply", "correspondence", "comment", "resolved", "command_refused"
    }
    subject, text, html = render_template(DEFAULT_TEMPLATES["autoreply"], CONTEXT)
    assert subject == "Disk full"
    assert "filed it as ticket #42 in the General queue" in text
    assert "[hub #42]" in text
    assert html is None
    subject, text, _ = render_template(DEFAULT_TEMPLATES["command_refused"], CONTEXT)
    assert subject == "Command not applied: Disk full"
    assert "  - Priority: 'urgent' is not a priority between 0 and 99\n" in text
    subject, text, _ = render_template(DEFAULT_TEMPLATES["resolved"], CONTEXT)
    assert subject == "Resolved: Disk full"
    assert "has been resolved by Olga." in text
    assert text.endswith("--\nhttps://hub.example.org/tickets/42\n")
    _, text, _ = render_template(DEFAULT_TEMPLATES["comment"], CONTEXT)
    assert "Olga commented on ticket #42" in text and "Cleaned up." in text
    _, text, _ = render_template(DEFAULT_TEMPLATES["correspondence"], CONTEXT)
    assert text.startswith("Olga wrote on ticket #42:\n\nCleaned up.\n")


def test_html_template_autoescapes_and_subject_is_one_line() -> None:
    template = MailTemplate(subject="{{ s }}\n{{ s }}", text="{{ s }}", html="<p>{{ s }}</p>")
    subject, text, html = render_template(template, {"s": "<b>x</b>"})
    assert subject == "<b>x</b> <b>x</b>"
    assert text == "<b>x</b>"
    assert html == "<p>&lt;b&gt;x&lt;/b&gt;</p>"


def test_missing_variables_render_empty() -> None:
    subject, text, _ = render_template(MailTemplate("a{{ nope.deeper }}b", "{{ x.y.z }}"), {})
    assert (subject, text) == ("ab", "")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ 'a' * 100000000 }}",
        "{{ 10 ** 100000 }}",
        "{% for %}",
    ],
)
def test_sandbox_refuses_dangerous_templates(source: str) -> None:
    try:
        subject, text, _ = render_template(MailTemplate("s", source), {})
    except TemplateRenderError:
        return
    # Unsafe attribute access may also render as undefined (empty): never as data.
    assert text == "" and subject == "s"
