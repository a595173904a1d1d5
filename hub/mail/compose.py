"""Build outgoing mail and render admin-editable templates safely.

Every message we send carries the headers that keep mail loops from starting
(``Auto-Submitted``, our loop header, ``X-Auto-Response-Suppress``) and the threading
headers that bring replies back to the right ticket. Templates are edited by admins in the
web UI, so they are rendered in Jinja2's sandbox: a template can format ticket data but not
reach Python internals, and arithmetic that would allocate gigabytes is refused.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal

from jinja2 import ChainableUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from hub.mail.parsing import LOOP_HEADER

__all__ = [
    "DEFAULT_TEMPLATES",
    "MailTemplate",
    "TemplateRenderError",
    "compose",
    "render_template",
]

AutoSubmitted = Literal["auto-replied", "auto-generated"]
_MAX_REFERENCES = 20
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")
_PROTECTED = frozenset(
    {"from", "to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to", "references",
     "mime-version", "content-type", "content-transfer-encoding", "auto-submitted",
     LOOP_HEADER.lower(), "return-path"}
)  # fmt: skip


def _one_line(value: str) -> str:
    """Collapse whitespace: a CR/LF in a header value would be header injection."""
    return " ".join(str(value).split())


def _encode_choice(text: str) -> str:
    if text.isascii() and all(len(line) <= 78 for line in text.splitlines()):
        return "7bit"
    return "quoted-printable"  # safe through relays without 8BITMIME


def _references(in_reply_to: str | None, references: Iterable[str]) -> list[str]:
    ids = list(dict.fromkeys(r.strip() for r in references if r and r.strip()))
    if in_reply_to and in_reply_to.strip() not in ids:
        ids.append(in_reply_to.strip())
    if len(ids) > _MAX_REFERENCES:  # keep the thread root and the most recent ancestors
        ids = [ids[0], *ids[-(_MAX_REFERENCES - 1) :]]
    return ids


def compose(
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    from_addr: str,
    message_id: str,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    auto_submitted: AutoSubmitted | None,
    loop_header_value: str,
    return_path: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    cc: Sequence[str] = (),
    reply_to: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """Return a complete message ready for ``smtplib.SMTP.send_message``.

    ``return_path`` is stored in a ``Return-Path`` header for the outbound sender to use as
    the envelope ``MAIL FROM`` (and delete before sending; MTAs drop it anyway). ``html``
    must already be safe (rendered from an autoescaping template or sanitised).
    """
    msg = EmailMessage(policy=policy.default)
    msg["From"] = from_addr
    msg["To"] = [to] if isinstance(to, str) else list(to)
    if cc:
        msg["Cc"] = list(cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = _one_line(subject)
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to.strip()
    refs = _references(in_reply_to, references)
    if refs:
        msg["References"] = " ".join(refs)  # the policy folds it at whitespace
    msg["MIME-Version"] = "1.0"
    if auto_submitted:
        msg["Auto-Submitted"] = auto_submitted
        msg["X-Auto-Response-Suppress"] = "All"  # stops Exchange out-of-office replies
    msg[LOOP_HEADER] = _one_line(loop_header_value)
    if return_path is not None:
        msg["Return-Path"] = f"<{return_path.strip().strip('<>')}>"
    for name, value in (extra_headers or {}).items():
        if not _HEADER_NAME.match(name) or name.lower() in _PROTECTED:
            raise ValueError(f"extra header {name!r} is not allowed")
        msg[name] = _one_line(value)
    msg.set_content(text, charset="utf-8", cte=_encode_choice(text))
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte=_encode_choice(html))
    return msg


@dataclass(frozen=True)
class MailTemplate:
    """An admin-editable template: Jinja2 sources for subject, text and optional HTML."""

    subject: str
    text: str
    html: str | None = None


class TemplateRenderError(ValueError):
    """A template failed to compile or render (syntax, sandbox violation, size limit)."""


class _MailSandbox(SandboxedEnvironment):
    """Sandbox that also refuses huge ``*`` and ``**`` results (memory exhaustion)."""

    intercepted_binops = frozenset({"*", "**"})
    _LIMIT = 100_000

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 100:
                raise TemplateRenderError("exponent too large")
            return operator.pow(left, right)
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple)) and isinstance(count, int)
                if sized and len(seq) * count > self._LIMIT:
                    raise TemplateRenderError("repetition too large")
            return operator.mul(left, right)
        return super().call_binop(context, operator_name, left, right)


_TEXT_ENV = _MailSandbox(autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=True)
_HTML_ENV = _MailSandbox(autoescape=True, undefined=ChainableUndefined)


@functools.lru_cache(maxsize=256)
def _compile(source: str, html: bool) -> Template:
    return (_HTML_ENV if html else _TEXT_ENV).from_string(source)


def render_template(
    template: MailTemplate, context: Mapping[str, Any]
) -> tuple[str, str, str | None]:
    """Render ``(subject, text, html)``; the subject is forced onto one line.

    Missing variables render empty rather than failing, so a template referring to a field a
    ticket lacks still produces mail. The caller adds the ``[tag #id]`` with ``add_tag``.
    """
    try:
        subject = _compile(template.subject, False).render(context)
        text = _compile(template.text, False).render(context)
        html = _compile(template.html, True).render(context) if template.html else None
    except TemplateRenderError:
        raise
    except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        raise TemplateRenderError(f"template error: {exc}") from exc
    return _one_line(subject), text, html


_FOOTER = "\n--\n{{ ticket.url }}\n"

DEFAULT_TEMPLATES: Mapping[str, MailTemplate] = {
    "autoreply": MailTemplate(
        subject="{{ ticket.subject }}",
        text=(
            "Hello{% if requestor_name %} {{ requestor_name }}{% endif %},\n\n"
            "we received your request \"{{ ticket.subject }}\" and filed it as ticket "
            "#{{ ticket.id }} in the {{ ticket.queue }} queue.\n\n"
            "Please keep the [{{ tag }} #{{ ticket.id }}] tag in the subject when you reply.\n"
            "This message was sent automatically." + _FOOTER
        ),
    ),
    "correspondence": MailTemplate(
        subject="{{ ticket.subject }}",
        text=("{{ actor }}{% if unverified %} (sender not verified){% endif %} wrote on "
              "ticket #{{ ticket.id }}:\n\n{{ body }}\n" + _FOOTER),
    ),
    "comment": MailTemplate(
        subject="[Comment] {{ ticket.subject }}",
        text=(
            "{{ actor }}{% if unverified %} (sender not verified){% endif %} commented on "
            "ticket #{{ ticket.id }} (not sent to the requestors):"
            "\n\n{{ body }}\n" + _FOOTER
        ),
    ),
    "resolved": MailTemplate(
        subject="Resolved: {{ ticket.subject }}",
        text=(
            "Ticket #{{ ticket.id }} \"{{ ticket.subject }}\" has been resolved"
            "{% if actor %} by {{ actor }}{% endif %}.\n\n"
            "If the problem persists, reply to this message to reopen it." + _FOOTER
        ),
    ),
    "command_refused": MailTemplate(
        subject="Command not applied: {{ ticket.subject }}",
        text=(
            "Your message was added to ticket #{{ ticket.id }}, but these commands were not "
            "applied:\n\n{% for error in errors %}  - {{ error }}\n{% endfor %}"
            "\nThis message was sent automatically." + _FOOTER
        ),
    ),
}
