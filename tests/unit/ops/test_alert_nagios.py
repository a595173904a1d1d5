"""Nagios notifications, checked against the payloads captured from a real Nagios 4.4.6."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from hub.ops.alerts.nagios import (
    parse_long_datetime,
    parse_nagios,
    parse_nagios_email,
    unescape_output,
)
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal


def shared_dir() -> Path:
    env = os.environ.get("HUB_SHARED_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"
    assert (path / "data").is_dir(), f"shared data not found at {path} (set HUB_SHARED_DIR)"
    return path


JSON_DIR = shared_dir() / "data" / "nagios" / "json"
MAIL_DIR = shared_dir() / "data" / "nagios" / "email"


def capture(prefix: str) -> dict[str, Any]:
    (path,) = JSON_DIR.glob(f"{prefix}-*.json")
    return dict(json.loads(path.read_text()))


def signal(prefix: str) -> AlertSignal:
    return parse_nagios(capture(prefix)["body_json"])


def mail(prefix: str) -> AlertSignal | None:
    (path,) = MAIL_DIR.glob(f"{prefix}-*.eml")
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return parse_nagios_email(str(message["Subject"]), body.get_content())


ALL_JSON = sorted(JSON_DIR.glob("*.json"))


def test_capture_set_is_complete() -> None:
    assert len(ALL_JSON) == 13
    assert len(sorted(MAIL_DIR.glob("*.eml"))) == 10


@pytest.mark.parametrize("path", ALL_JSON, ids=lambda p: p.name[:2])
def test_every_capture_parses_or_is_the_invalid_one(path: Path) -> None:
    doc = json.loads(path.read_text())
    if doc["body_json"] is None:
        assert "INVALID_JSON" in path.name
        return
    parsed = parse_nagios(doc["body_json"])
    assert json.loads(doc["body_raw"]) == doc["body_json"]
    assert parsed.source == "nagios"
    assert parsed.host == doc["body_json"]["HOSTNAME"]
    assert parsed.host in parsed.title
    if parsed.service:
        assert parsed.service in parsed.title
    assert not parsed.problem_key.endswith(":0"), "every captured notification has a problem id"


def test_invalid_json_capture_fails_to_decode_so_the_api_must_answer_400() -> None:
    doc = capture("22")
    assert doc["body_json"] is None
    raw = doc["body_raw"]
    assert raw.startswith("{") and raw.endswith("}")
    assert '"NOTIFICATIONTYPE":"ACKNOWLEDGEMENT"' in raw
    assert "C:\\ops" in raw  # the unescaped backslash from $NOTIFICATIONCOMMENT$
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads(raw)
    assert "escape" in str(info.value).lower()
    assert raw.index("C:\\ops") < info.value.pos + 2


def test_service_problem_fields() -> None:
    s = signal("01")
    assert s.kind == "problem"
    assert s.problem_key == "nagios:web-01:App Health:1"
    assert s.object_key == "web-01/App Health"
    assert s.title == "CRITICAL: web-01 / App Health"
    assert s.severity == "critical"
    assert s.state == "CRITICAL"
    assert s.occurred_at == datetime(2026, 11, 25, 22, 48, 33, tzinfo=UTC)
    assert s.perfdata == {"forced_state": 2.0}
    assert s.details["address"] == "127.0.0.2"


def test_literal_backslash_n_becomes_a_newline() -> None:
    s = signal("01")
    assert "\\n" not in s.output
    assert s.output.splitlines() == [
        "CRITICAL: App health endpoint returned 503 (backend pool empty)",
        "pool=web-backend members=0/4",
        "last_ok=2026-01-01T00:00:00Z",
    ]


def test_service_problem_and_recovery_share_the_problem_key() -> None:
    problem, recovery = signal("01"), signal("07")
    assert recovery.kind == "recovery"
    assert recovery.severity == "ok"
    assert recovery.problem_key == problem.problem_key
    assert recovery.delivery_id != problem.delivery_id
    assert signal("11").problem_key == signal("09").problem_key == "nagios:web-01:HTTP Port:2"
    assert signal("19").problem_key == signal("17").problem_key
    assert signal("23").problem_key == signal("21").problem_key == "nagios:edge-01:BGP Session:5"


def test_host_down_and_up_share_the_problem_key_via_lasthostproblemid() -> None:
    down, up = signal("13"), signal("15")
    assert capture("15")["body_json"]["HOSTPROBLEMID"] == "0"
    assert (down.kind, up.kind) == ("problem", "recovery")
    assert down.problem_key == up.problem_key == "nagios:edge-01:-:3"
    assert down.object_key == "edge-01"
    assert down.service is None
    assert down.title == "DOWN: edge-01"
    assert down.severity == "critical"
    assert up.title == "UP: edge-01"


def test_renotification_is_the_same_problem_but_a_new_delivery() -> None:
    first, again = signal("01"), signal("03")
    assert again.problem_key == first.problem_key
    assert again.delivery_id != first.delivery_id


def test_retried_identical_delivery_has_the_same_delivery_id() -> None:
    assert signal("01").delivery_id == signal("01").delivery_id
    assert signal("21").delivery_id == signal("21").delivery_id
    assert signal("21").delivery_id != signal("23").delivery_id


def test_acknowledgement_keeps_the_problem_key_and_carries_author_and_comment() -> None:
    ack = signal("05")
    assert ack.kind == "acknowledgement"
    assert ack.problem_key == signal("01").problem_key
    assert ack.details["author"] == "alice"
    assert ack.details["comment"] == 'Looking into it; ticket "OPS-42" (see C:\\runbooks)'
    assert ack.delivery_id not in {signal("03").delivery_id, signal("07").delivery_id}


def test_inline_payload_without_timet_takes_the_time_from_longdatetime() -> None:
    s = signal("21")
    assert s.occurred_at == datetime(2026, 11, 25, 22, 50, 18, tzinfo=UTC)
    assert s.output == "CRITICAL: BGP peer 192.0.2.1 state Idle\nlast_error=Hold Timer Expired"


def test_problem_ids_restarting_stay_apart_per_host_and_service() -> None:
    base = {"NOTIFICATIONTYPE": "PROBLEM", "SERVICESTATE": "CRITICAL", "SERVICEPROBLEMID": 1}
    a = parse_nagios({**base, "HOSTNAME": "a", "SERVICEDESC": "Disk"})
    b = parse_nagios({**base, "HOSTNAME": "b", "SERVICEDESC": "Disk"})
    assert a.problem_key != b.problem_key


def test_service_recovery_with_zero_problem_id_uses_the_last_one() -> None:
    s = parse_nagios(
        {
            "NOTIFICATIONTYPE": "RECOVERY",
            "HOSTNAME": "web-01",
            "SERVICEDESC": "Disk",
            "SERVICESTATE": "OK",
            "SERVICEPROBLEMID": "0",
            "LASTSERVICEPROBLEMID": 17,
        }
    )
    assert s.problem_key == "nagios:web-01:Disk:17"


def test_downtime_on_an_ok_service_does_not_borrow_an_old_problem_id() -> None:
    s = parse_nagios(
        {
            "NOTIFICATIONTYPE": "DOWNTIMESTART",
            "HOSTNAME": "web-01",
            "SERVICEDESC": "Disk",
            "SERVICESTATE": "OK",
            "SERVICEPROBLEMID": "0",
            "LASTSERVICEPROBLEMID": "17",
        }
    )
    assert s.kind == "downtime_start"
    assert s.problem_key == "nagios:web-01:Disk:0"


@pytest.mark.parametrize(
    ("ntype", "kind"),
    [
        ("FLAPPINGSTART", "flapping_start"),
        ("FLAPPINGSTOP", "flapping_stop"),
        ("FLAPPINGDISABLED", "flapping_stop"),
        ("DOWNTIMEEND", "downtime_end"),
        ("DOWNTIMECANCELLED", "downtime_end"),
        ("CUSTOM", "custom"),
    ],
)
def test_other_notification_types(ntype: str, kind: str) -> None:
    s = parse_nagios({"NOTIFICATIONTYPE": ntype, "HOSTNAME": "h", "HOSTSTATE": "UNREACHABLE"})
    assert s.kind == kind
    assert s.severity == "unknown"


def test_form_decoded_numbers_parents_and_custom_variables() -> None:
    s = parse_nagios(
        {
            "NOTIFICATIONTYPE": "PROBLEM",
            "HOSTNAME": "sw-07",
            "HOSTSTATE": "DOWN",
            "HOSTPROBLEMID": 42,
            "HOSTNOTIFICATIONID": 99,
            "HOSTPARENTS": "core-1, core-2",
            "HOSTPERFDATA": "rta=0.5ms;100;500;0 pl=100%;20;60;0;100",
            "_HOSTTEAM": "network",
            "TIMET": 1795647002,
        }
    )
    assert s.problem_key == "nagios:sw-07:-:42"
    assert s.parent_hosts == ("core-1", "core-2")
    assert s.perfdata == {"rta": 0.5, "pl": 100.0}
    assert s.labels == {"team": "network"}
    assert s.occurred_at == datetime(2026, 11, 25, 22, 50, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"HOSTNAME": "h", "HOSTSTATE": "DOWN"}, "NOTIFICATIONTYPE"),
        ({"NOTIFICATIONTYPE": "BOGUS", "HOSTNAME": "h", "HOSTSTATE": "DOWN"}, "BOGUS"),
        ({"NOTIFICATIONTYPE": "PROBLEM", "HOSTSTATE": "DOWN"}, "HOSTNAME"),
        ({"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "h", "SERVICEDESC": "x"}, "SERVICESTATE"),
        ({"NOTIFICATIONTYPE": ["PROBLEM"], "HOSTNAME": "h"}, "string or a number"),
        ({"NOTIFICATIONTYPE": "PROBLEM", "HOSTNAME": "h", "HOSTSTATE": "D", "TIMET": "x"}, "TIMET"),
    ],
)
def test_unusable_fields_raise_a_clear_error(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(AlertPayloadError, match=message):
        parse_nagios(fields)


def test_non_mapping_input_is_refused() -> None:
    with pytest.raises(AlertPayloadError, match="JSON object"):
        parse_nagios(["PROBLEM"])  # type: ignore[arg-type]


def test_unescape_output_keeps_other_backslashes() -> None:
    assert unescape_output("a\\nb") == "a\nb"
    assert unescape_output("C:\\\\new") == "C:\\new"
    assert unescape_output("C:\\runbooks") == "C:\\runbooks"


def test_long_datetime_only_trusts_utc() -> None:
    assert parse_long_datetime("Wed Nov 25 22:50:18 UTC 2026") == datetime(
        2026, 11, 25, 22, 50, 18, tzinfo=UTC
    )
    assert parse_long_datetime("Wed Nov 25 22:50:18 CET 2026") is None
    assert parse_long_datetime("garbage") is None


# --- stock mails ------------------------------------------------------------------


def test_service_mail_problem_and_recovery_match() -> None:
    problem, recovery = mail("02"), mail("08")
    assert problem is not None and recovery is not None
    assert problem.kind == "problem" and recovery.kind == "recovery"
    assert problem.problem_key == recovery.problem_key == "nagios-mail:Web frontend 01:App Health"
    assert problem.title == "CRITICAL: Web frontend 01 / App Health"
    assert problem.output == "CRITICAL: App health endpoint returned 503 (backend pool empty)"
    assert problem.details["address"] == "127.0.0.2"
    assert problem.occurred_at == datetime(2026, 11, 25, 22, 48, 33, tzinfo=UTC)


def test_mail_renotification_and_acknowledgement() -> None:
    first, again, ack = mail("02"), mail("04"), mail("06")
    assert first is not None and again is not None and ack is not None
    assert again.problem_key == first.problem_key
    assert again.delivery_id != first.delivery_id
    assert ack.kind == "acknowledgement"
    assert ack.problem_key == first.problem_key


def test_host_mail_uses_hostname_and_info_line() -> None:
    down, up = mail("14"), mail("16")
    assert down is not None and up is not None
    assert down.problem_key == up.problem_key == "nagios-mail:edge-01:-"
    assert down.service is None
    assert down.title == "DOWN: edge-01"
    assert down.output == "CRITICAL: CRITICAL - 127.0.0.4: rta nan, lost 100%"
    assert up.severity == "ok"


@pytest.mark.parametrize("prefix", ["10", "12", "18", "20"])
def test_other_mails_parse(prefix: str) -> None:
    parsed = mail(prefix)
    assert parsed is not None
    assert parsed.service in {"HTTP Port", "Replication Lag"}


def test_ordinary_mail_is_not_a_nagios_notification() -> None:
    assert parse_nagios_email("Lunch?", "Host: the canteen\nState: open\n") is None
    assert parse_nagios_email("Re: ** PROBLEM", "thanks, looking") is None
