"""Routing rules, missing queues/owners, and parent/incident correlation (in-process hub)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.ops.alerts import parse_alertmanager, parse_nagios
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import ReceiveAlert
from hub.ops.tables import alerts
from hub.setup import initialise
from hub.tickets import commands as tc
from hub.tickets.queries import get_state, history

CONFIG = """
alert_parents = { "app-01" = ["sw-01"] }

[[alert_routes]]
name = "databases"
host = "db-*"
queue = "DBA"
priority = 90
owner = "carol"
on_recovery = "comment"

[[alert_routes]]
name = "web http"
host = "web-*"
service = "HTTP*"
runbook = "Runbooks.DrainWebNode"
runbook_params = { node = "web-02" }

[[alert_routes]]
name = "unusable runbook name"
service = "Bogus*"
runbook = "NoDotInName"

[[alert_routes]]
name = "typo queue"
service = "Disk*"
queue = "NoSuchQueue"
owner = "nobody"
"""


@pytest.fixture
def ops_hub(tmp_path: Path) -> Iterator[Hub]:
    (tmp_path / "hub.toml").write_text(CONFIG)
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "test",
                                  "HUB_CONFIG": str(tmp_path / "hub.toml")})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="admin-password")
    cli = system_actor("cli")
    hub.bus.handle(tc.CreateQueue(name="DBA"), cli)
    hub.bus.handle(ac.CreateUser(name="carol", email="carol@example.com", role="staff",
                                 password="password123"), cli)
    yield hub
    hub.engine.dispose()


def nagios(host: str, kind: str = "PROBLEM", service: str | None = None, pid: str = "1",
           **extra: str) -> AlertSignal:
    fields = {"NOTIFICATIONTYPE": kind, "HOSTNAME": host, "TIMET": "1795646913",
              "NOTIFICATIONNUMBER": "1", **extra}
    if service:
        fields.update(SERVICEDESC=service, SERVICESTATE="OK" if kind == "RECOVERY"
                      else "CRITICAL", SERVICEPROBLEMID=pid, SERVICEOUTPUT="out")
    else:
        fields.update(HOSTSTATE="UP" if kind == "RECOVERY" else "DOWN", HOSTPROBLEMID=pid,
                      HOSTOUTPUT="out")
    return parse_nagios(fields)


def send(hub: Hub, signal: AlertSignal) -> dict[str, Any]:
    return dict(hub.bus.handle(ReceiveAlert(signal), system_actor("alert", signal.source),
                               idempotency_key=f"alert:{signal.delivery_id}"))


def ticket(hub: Hub, ticket_id: int) -> dict[str, Any]:
    with hub.engine.connect() as conn:
        return get_state(conn, system_actor(), ticket_id)


def notes(hub: Hub, ticket_id: int) -> str:
    with hub.engine.connect() as conn:
        events = history(conn, hub.store, system_actor(), ticket_id)
    return "\n".join(str(e["data"].get("body", "")) for e in events)


def test_rule_picks_queue_priority_owner_and_recovery_mode(ops_hub: Hub) -> None:
    opened = send(ops_hub, nagios("db-01", service="Replication"))
    state = ticket(ops_hub, opened["ticket_id"])
    assert (state["queue"], state["priority"], state["owner"]) == ("DBA", 90, "carol")
    recovered = send(ops_hub, nagios("db-01", "RECOVERY", service="Replication"))
    assert recovered == {"ticket_id": opened["ticket_id"], "action": "updated",
                         "request_id": ""}
    assert ticket(ops_hub, opened["ticket_id"])["status"] != "resolved"
    assert "Recovered" in notes(ops_hub, opened["ticket_id"])


def test_missing_queue_and_owner_fall_back_with_a_comment(ops_hub: Hub) -> None:
    opened = send(ops_hub, nagios("web-09", service="Disk /var"))
    state = ticket(ops_hub, opened["ticket_id"])
    assert state["queue"] == "General" and state["owner"] is None
    text = notes(ops_hub, opened["ticket_id"])
    assert "'NoSuchQueue', which does not exist; filed in General" in text
    assert "'nobody', who cannot own tickets" in text


def test_children_of_a_down_parent_join_its_incident(ops_hub: Hub) -> None:
    parent = send(ops_hub, nagios("edge-01", pid="3"))
    child = send(ops_hub, nagios("web-01", service="HTTP", pid="4", HOSTPARENTS="edge-01"))
    host_child = send(ops_hub, nagios("web-02", pid="5", _HOSTPARENTS="edge-01, other"))
    assert child["action"] == host_child["action"] == "opened"
    for kid in (child, host_child):
        assert ticket(ops_hub, kid["ticket_id"])["links"]["parents"] == [parent["ticket_id"]]
    incident = ticket(ops_hub, parent["ticket_id"])
    assert sorted(incident["links"]["children"]) == sorted(
        [child["ticket_id"], host_child["ticket_id"]])
    assert "Child alert while this incident is open" in notes(ops_hub, parent["ticket_id"])
    with ops_hub.engine.connect() as conn:
        row = conn.execute(sa.select(alerts).where(alerts.c.host == "web-01")).one()
    assert row.parent_ticket_id == parent["ticket_id"]
    # Parent recovered: a new alert of the child host is its own incident again.
    send(ops_hub, nagios("edge-01", "RECOVERY", pid="0", LASTHOSTPROBLEMID="3"))
    alone = send(ops_hub, nagios("web-01", service="SSH", pid="6", HOSTPARENTS="edge-01"))
    assert ticket(ops_hub, alone["ticket_id"])["links"]["parents"] == []


def test_parents_from_config_and_switch_label(ops_hub: Hub) -> None:
    switch = send(ops_hub, nagios("sw-01", pid="1"))
    from_config = send(ops_hub, nagios("app-01", service="Load", pid="2"))
    assert ticket(ops_hub, from_config["ticket_id"])["links"]["parents"] == [
        switch["ticket_id"]]
    labelled = send(ops_hub, nagios("app-02", service="Load", pid="3", _HOSTSWITCH="sw-01"))
    assert ticket(ops_hub, labelled["ticket_id"])["links"]["parents"] == [switch["ticket_id"]]


def test_alertmanager_group_members_become_children(ops_hub: Hub) -> None:
    def alert(host: str) -> dict[str, Any]:
        return {"status": "firing", "labels": {"alertname": "NodeDown", "host": host},
                "annotations": {}, "startsAt": "2026-11-25T22:00:00Z", "fingerprint": host}

    doc = {"version": "4", "groupKey": "{}:{alertname=\"NodeDown\"}", "status": "firing",
           "alerts": [alert("n1"), alert("n2"), alert("n3")]}
    results = [send(ops_hub, s) for s in parse_alertmanager(doc)]
    root = results[0]["ticket_id"]
    assert [ticket(ops_hub, r["ticket_id"])["links"].get("parents") for r in results[1:]] == [
        [root], [root]]


def test_flapping_object_gets_one_ticket(ops_hub: Hub) -> None:
    base = nagios("flappy", service="Ping", pid="1")
    answers = []
    for i in range(12):
        kind = "problem" if i % 2 == 0 else "recovery"
        at = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
        signal = dataclasses.replace(
            base, kind=kind, problem_key=f"nagios:flappy:Ping:{i // 2 + 1}",
            delivery_id=f"flap-{i}", occurred_at=at,
            severity="critical" if kind == "problem" else "ok")
        answers.append(send(ops_hub, signal))
    opened = [a for a in answers if a["action"] == "opened"]
    assert len(opened) == 3  # changes 1, 3, 5 opened tickets before flapping was detected
    flap_ticket = answers[5]["ticket_id"]
    assert {a["ticket_id"] for a in answers[5:]} == {flap_ticket}
    assert {a["action"] for a in answers[6:]} == {"updated"}
    text = notes(ops_hub, flap_ticket)
    assert text.count("Flapping started") == 1
    assert ticket(ops_hub, flap_ticket)["status"] != "resolved"
    with ops_hub.engine.connect() as conn:
        flags = conn.execute(sa.select(alerts.c.flapping)
                             .where(alerts.c.object_key == "flappy/Ping")).scalars().all()
    assert flags and all(flags)


def test_alert_read_models_rebuild_identically(ops_hub: Hub) -> None:
    send(ops_hub, nagios("edge-01", pid="3"))
    send(ops_hub, nagios("web-01", service="HTTP", pid="4", HOSTPARENTS="edge-01"))
    send(ops_hub, nagios("web-01", "RECOVERY", service="HTTP", pid="4"))
    from hub.db import WRITE
    from hub.ops.tables import backup_hosts

    def rows() -> list[Any]:
        with ops_hub.engine.connect() as conn:
            return [*conn.execute(sa.select(alerts).order_by(alerts.c.problem_key)).all(),
                    *conn.execute(sa.select(backup_hosts)).all()]

    before = rows()
    assert len(before) == 2
    with ops_hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        ops_hub.runner.rebuild(conn, ["ops_alerts", "ops_backup_hosts"])
    assert rows() == before


def test_routed_runbook_is_suggested_on_the_new_ticket(ops_hub: Hub) -> None:
    from hub.runbooks.suggestions import suggestions_for

    opened = send(ops_hub, nagios("web-02", service="HTTP"))
    again = send(ops_hub, nagios("web-02", service="HTTP", NOTIFICATIONNUMBER="2",
                                 SERVICENOTIFICATIONID="2"))
    assert again["ticket_id"] == opened["ticket_id"]
    with ops_hub.engine.connect() as conn:
        found = suggestions_for(conn, opened["ticket_id"])
    assert [(s["runbook"], s["params"]) for s in found] == [
        ("Runbooks.DrainWebNode", {"node": "web-02"})]
    assert "/runbooks/Runbooks/DrainWebNode?" in found[0]["start"]
    other = send(ops_hub, nagios("db-02", service="Replication"))
    with ops_hub.engine.connect() as conn:
        assert suggestions_for(conn, other["ticket_id"]) == []


def test_routed_runbook_is_suggested_once_also_when_the_durable_reactor_runs(
        ops_hub: Hub) -> None:
    from hub.reactors import run_once
    from hub.runbooks.reactors import AlertRunbookSuggester
    from hub.runbooks.suggestions import suggestions_for

    reactor = next(r for r in ops_hub.reactors if isinstance(r, AlertRunbookSuggester))
    run_once(ops_hub, reactor)  # a new reactor starts at the head
    opened = send(ops_hub, nagios("web-03", service="HTTP"))
    bad = send(ops_hub, nagios("app-09", service="Bogus"))
    assert run_once(ops_hub, reactor) > 0  # the reactor sees both alerts again
    with ops_hub.engine.connect() as conn:
        assert len(suggestions_for(conn, opened["ticket_id"])) == 1
    assert notes(ops_hub, opened["ticket_id"]).count("Suggested runbook") == 1
    assert notes(ops_hub, bad["ticket_id"]).count(
        "Suggested runbook not attached: runbook 'NoDotInName' is not a Web.Topic name") == 1
