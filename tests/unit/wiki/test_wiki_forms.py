"""DataForms: parsing a WebForm table and validating values."""

from __future__ import annotations

import pytest

from hub.wiki.forms import FormError, parse_form, validate

FORM = """Intro text

| *Name* | *Type* | *Size* | *Values* | *Tooltip* | *Attributes* |
|---|---|---|---|---|---|
| Severity | select | 1 | low, high | how bad | M |
| Hosts | checkbox | 3 | web1, web2 | | |
| Port | number | 5 | | | |
| Due | date | 10 | | | |
| Notes | textarea | 40x5 | | | |
| bad name! | text | | | | |

| Not | the | form |
"""


def test_parse_form_reads_the_first_table() -> None:
    defs = parse_form(FORM)
    assert [(d.name, d.type, d.mandatory) for d in defs] == [
        ("Severity", "select", True), ("Hosts", "checkbox", False), ("Port", "number", False),
        ("Due", "date", False), ("Notes", "textarea", False)]
    assert defs[0].values == ("low", "high") and defs[0].tooltip == "how bad"


def test_validate_cleans_and_reports_every_problem() -> None:
    defs = parse_form(FORM)
    assert validate(defs, {"Severity": "low", "Hosts": ["web1", "web2"], "Port": " 80 "}) == {
        "Severity": "low", "Hosts": "web1, web2", "Port": "80"}
    with pytest.raises(FormError) as err:
        validate(defs, {"Hosts": "web9", "Port": "eighty", "Due": "tomorrow", "Extra": "1"})
    assert err.value.errors == [
        "unknown field 'Extra'", "Severity is required", "Hosts: ['web9'] not in ['web1', 'web2']",
        "Port must be a number", "Due must be a date (YYYY-MM-DD)"]
