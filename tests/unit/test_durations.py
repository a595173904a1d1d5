import datetime as dt

import pytest

from hub.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("5m", 300), ("4h", 14400), ("3d", 259200), ("1w", 604800),
    ("1h30m", 5400), (" 2H ", 7200)])
def test_durations_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "90", "5 m", "0s", "-5m", "5y", None, 5, "m5", "99999w",
                                  "9s95708857946129w895d8s3260h05140579w"])
def test_bad_durations_are_refused_with_their_reason(text: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(5400, "1h30m"), (864000, "10d"), (1209600, "2w"),
                                                 (45, "45s")])
def test_durations_format_back(seconds: int, text: str) -> None:
    assert format_duration(dt.timedelta(seconds=seconds)) == text
    assert parse_duration(text) == dt.timedelta(seconds=seconds)
