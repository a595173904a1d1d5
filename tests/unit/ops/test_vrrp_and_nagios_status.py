"""Pure pieces: the VRRP settle logic on the captured payloads, and Nagios's files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hub.ops.alerts.keepalived import parse_keepalived, summarise_vrrp
from hub.ops.config import NagiosAckPolicy, OpsConfigError, load_ops_config
from hub.ops.nagios_status import NagiosFiles
from hub.ops.vrrp import SUSPECT, confirm_split_brain, vrrp_note, vrrp_subject

KEEPALIVED = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
                  / "shared") / "data" / "keepalived"


def scenario(prefix: str) -> list[dict[str, Any]]:
    (folder,) = KEEPALIVED.glob(f"{prefix}-*")
    return [json.loads(p.read_text())["body_json"] for p in sorted(folder.glob("*.json"))]


def replay(bodies: list[dict[str, Any]]) -> tuple[list[tuple[str, dict[str, bool], bool]],
                                                  list[dict[str, Any]]]:
    """vrrp_note for each arrival, as the handler calls it."""
    history: list[dict[str, Any]] = []
    flags: dict[str, bool] = {}
    out = []
    for body in bodies:
        signal = parse_keepalived(body)
        text, flags, escalate = vrrp_note(history, signal, flags)
        out.append((text, flags, escalate))
        history.append(signal.to_dict())
    return out, history


def test_preemption_with_master_arriving_first_is_only_suspected() -> None:
    a_backup, b_backup, a_master = scenario("03")
    notes, history = replay(scenario("01") + scenario("02") + [a_backup, a_master, b_backup])
    text, flags, escalate = notes[-2]  # node-a MASTER while node-b's MASTER is its last word
    assert flags[SUSPECT] and not flags["split_brain"] and not escalate
    assert "possible split brain" not in text and "report MASTER at once" in text
    text, flags, escalate = notes[-1]  # node-b's BACKUP, 3 ms later by its clock
    assert not flags[SUSPECT] and not escalate and "split brain" not in text.lower()
    assert confirm_split_brain(history, notes[-2][1]) is None  # the review finds it settled
    summary = summarise_vrrp([parse_keepalived(b) for b in scenario("01") + scenario("03")])
    assert vrrp_subject("VI_HUB", summary) == "Failover VI_HUB: node-a MASTER, node-b BACKUP"


def test_a_hung_master_is_confirmed_after_the_settle_time() -> None:
    hung_b_master, _ = scenario("07")
    notes, history = replay(scenario("01") + scenario("02") + scenario("03") + [hung_b_master])
    _, flags, escalate = notes[-1]
    assert flags[SUSPECT] and not escalate
    found = confirm_split_brain(history, flags)
    assert found is not None
    warning, masters = found
    assert "possible split brain" in warning and masters == ["node-a", "node-b"]
    assert confirm_split_brain(history, {**flags, "split_brain": True}) is None  # once


def test_all_fault_still_escalates_at_once() -> None:
    notes, _ = replay(scenario("08")[:2])
    assert notes[-1][2] and "OUTAGE" in notes[-1][0]


STATUS = """info {
\tcreated=1764670000
\t}

hoststatus {
\thost_name=local-web
\tplugin_output=host up
\tproblem_has_been_acknowledged=0
\t}

servicestatus {
\thost_name=local-web
\tservice_description=App State
\tplugin_output=state file says 2|state=2;1;2;0;3
\tproblem_has_been_acknowledged=1
\t}
"""
CACHE = """define host {
\thost_name\tlocal-web
\talias\tLocal web
\tcheck_command\tcheck_x!a=b
\t}

define service {
\thost_name\tlocal-web
\tservice_description\tApp State
\t}
"""


def test_status_and_object_cache_are_read_as_nagios_writes_them(tmp_path: Path) -> None:
    (tmp_path / "status.dat").write_text(STATUS)
    (tmp_path / "objects.cache").write_text(CACHE)
    files = NagiosFiles(str(tmp_path / "status.dat"), str(tmp_path / "objects.cache"),
                        {"Old name": "local-web"})
    assert files.acknowledged("local-web", "App State") is True
    assert files.acknowledged("local-web", None) is False
    assert files.acknowledged("local-web", "Other") is False
    assert files.resolve_host("Local web") == "local-web"
    assert files.resolve_host("Old name") == "local-web"
    assert files.resolve_host("Web frontend", {"Web frontend": "web-01"}) == "web-01"
    assert files.knows_host("local-web") and files.knows_host("Local web") is False
    assert NagiosFiles().acknowledged("x", None) is None
    assert NagiosFiles(object_cache_file=str(tmp_path / "missing")).knows_host("x") is None


def test_ack_policy_backoff_and_settings() -> None:
    policy = NagiosAckPolicy()
    assert [policy.delay(n) for n in (1, 2, 3, 6, 7, 20)] == [30, 60, 120, 960, 1800, 1800]
    config = load_ops_config({"nagios": {"status_file": "/s", "ack_retry_seconds": 5},
                              "keepalived": {"settle_seconds": 1.5}})
    assert config.nagios.retry_seconds == 5 and config.nagios.files.status_file == "/s"
    assert config.vrrp_settle_seconds == 1.5
    for bad in ({"nagios": {"host_aliases": {"a": 1}}}, {"keepalived": {"settle_seconds": 0}}):
        try:
            load_ops_config(bad)
        except OpsConfigError:
            continue
        raise AssertionError(f"accepted {bad}")
