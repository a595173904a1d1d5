"""History rendering and attachment helpers: sanitised HTML, safe names, inert types."""

from __future__ import annotations

from hub.web.attachments import find_attachment, safe_filename
from hub.webkit.render import describe


def _event(kind: str, data: dict[str, object], source: str = "email") -> dict[str, object]:
    return {"position": 1, "version": 1, "type": kind, "ticket_id": 1, "actor": "x",
            "source": source, "at": "2026-01-01T00:00:00Z", "data": data}


def test_mail_html_is_cleaned_and_plain_text_left_for_escaping() -> None:
    shown = describe(_event("TicketCorresponded", {
        "body": "plain", "html": "<p onclick='x()'>Hi<script>alert(1)</script></p>"}))
    assert shown["html"] == "<p>Hi</p>"
    assert shown["body"] is None
    plain = describe(_event("TicketCorresponded", {"body": "<script>alert(1)</script>"}))
    assert plain["html"] is None and plain["body"] == "<script>alert(1)</script>"
    assert plain["via"] == "email"


def test_sentences_and_privacy_flags() -> None:
    assert describe(_event("TicketStatusChanged", {"old": "new", "new": "open"}))[
        "summary"] == "Status changed from new to open"
    assert describe(_event("TicketCommented", {"body": "x"}))["private"] is True
    assert describe(_event("Unknown", {}))["summary"] == "Unknown"


def test_filenames_and_attachment_lookup() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename('a"b<c>.html') == "a_b_c_.html"
    assert safe_filename("") == "attachment"
    sha = "a" * 64
    events = [{"data": {"attachments": [{"sha256": sha, "filename": "f"}]}}]
    assert find_attachment(events, sha) == {"sha256": sha, "filename": "f"}
    assert find_attachment(events, "b" * 64) is None
    assert find_attachment(events, "../x") is None
