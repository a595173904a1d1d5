"""After-commit reactions: metrics and graphs, hub rates, staleness (acks: test_nagios_acks)."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.ops import counts
from hub.ops.alerts import parse_backuppc, parse_nagios
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import ReceiveAlert
from hub.ops.jobs import check_backups
from hub.ops.reactors import RATE_SOURCES, RATES_METRIC, HubRatesReactor
from hub.reactors import run_once
from hub.setup import initialise
from hub.tickets.queries import get_state

NAGIOS = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
              / "shared") / "data" / "nagios" / "json"
ALICE = Actor(name="alice", email="alice@example.com", role="staff", source="web")


@pytest.fixture
def ops_hub(tmp_path: Path) -> Iterator[Hub]:
    (tmp_path / "hub.toml").write_text(
        f'[nagios]\ncommand_file = "{tmp_path / "nagios.cmd"}"\n'
        '[backuppc]\ndefault_period_hours = 26\nperiods_hours = { "db-01" = 24 }\n')
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "test",
                                  "HUB_CONFIG": str(tmp_path / "hub.toml")})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="admin-password")
    hub.bus.handle(ac.CreateUser(name="alice", email="alice@example.com", role="staff",
                                 password="password123"), system_actor("cli"))
    yield hub
    hub.engine.dispose()


def send(hub: Hub, signal: AlertSignal) -> dict[str, Any]:
    return dict(hub.bus.handle(ReceiveAlert(signal), system_actor("alert", signal.source),
                               idempotency_key=f"alert:{signal.delivery_id}"))


def captured(prefix: str) -> dict[str, Any]:
    path = next(NAGIOS.glob(f"{prefix}-*.json"))
    return dict(json.loads(path.read_text())["body_json"])


def reactor_of(hub: Hub, cls: type) -> Any:
    return next(r for r in hub.reactors if isinstance(r, cls))


def read_fifo(fd: int) -> str:
    try:
        return os.read(fd, 65536).decode()
    except OSError as exc:
        if exc.errno == errno.EAGAIN:
            return ""
        raise


def test_hub_rates_counted_per_minute(ops_hub: Hub) -> None:
    reactor = reactor_of(ops_hub, HubRatesReactor)
    run_once(ops_hub, reactor)
    for prefix in ("01", "03", "09"):
        send(ops_hub, parse_nagios(captured(prefix)))
    run_once(ops_hub, reactor)
    reactor.tick(ops_hub)  # the worker's tick writes what the events gathered
    store = ops_hub.services["ops.metrics"]
    rows = counts.series(store, RATES_METRIC, RATE_SOURCES, 3600, 60)
    assert counts.totals(rows, RATE_SOURCES) == {"alerts": 3, "tickets": 2, "mails": 0}
    busy = [r for _, r in rows if r["alerts"]]
    assert sum(r["alerts"] or 0 for r in busy) == 3 and len(busy) <= 2  # whole, at once
    assert all(isinstance(r["alerts"], int) for r in busy)


def backuppc(ok: int, stamp: str, host: str = "files-01") -> AlertSignal:
    return parse_backuppc({"host": host, "type": "full", "xfer_ok": ok, "timestamp": stamp})


def test_backup_staleness_opens_then_good_dump_resolves(ops_hub: Hub) -> None:
    send(ops_hub, backuppc(1, "2026-11-20T00:00:00Z"))
    now = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)  # 30 h later: period is 26 h
    results = check_backups(ops_hub, now)
    assert sorted(r["action"] for r in results) == ["opened", "opened"]  # files-01, db-01
    with ops_hub.engine.connect() as conn:
        before = ops_hub.store.last_position(conn)
    again = check_backups(ops_hub, now + dt.timedelta(hours=1))
    assert {r["action"] for r in again} == {"duplicate"}
    with ops_hub.engine.connect() as conn:
        assert ops_hub.store.last_position(conn) == before
    ticket_id = next(r["ticket_id"] for r in results
                     if "files-01" in _subject(ops_hub, r["ticket_id"]))
    good = send(ops_hub, backuppc(1, "2026-11-21T07:00:00Z"))
    assert good == {"ticket_id": ticket_id, "action": "resolved", "request_id": ""}
    assert len(check_backups(ops_hub, now + dt.timedelta(hours=2))) == 1  # db-01 only


def _subject(hub: Hub, ticket_id: int) -> str:
    with hub.engine.connect() as conn:
        return str(get_state(conn, system_actor(), ticket_id)["subject"])


def test_alert_graph_from_perfdata_on_a_real_server(server: Any) -> None:
    srv, hub = server
    hub.bus.handle(ac.CreateUser(name="ops", email="ops@example.com", role="staff",
                                 password="password123"), system_actor("cli"))
    token = hub.bus.handle(ac.CreateToken(user="ops", name="t"), system_actor("cli"))["token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    first = session.post(srv.url + "/api/v1/events/nagios", json=captured("01"), timeout=10)
    ticket_id = first.json()["ticket_id"]
    session.post(srv.url + "/api/v1/events/nagios", json=captured("03"), timeout=10)
    url = f"{srv.url}/api/v1/alerts/{ticket_id}/graph.png?hours=1"
    deadline = time.monotonic() + 30
    response = session.get(url, timeout=10)
    while response.status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.3)  # the metrics reactor runs after commit
        response = session.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert (srv.data_dir / "rrd").is_dir()
    assert session.get(url.replace("hours=1", "hours=x"), timeout=10).status_code == 400
    assert session.get(f"{srv.url}/api/v1/alerts/999/graph.png", timeout=10).status_code == 404
    hub.bus.handle(ac.CreateUser(name="cust", email="cust@example.com", role="customer",
                                 password="password123"), system_actor("cli"))
    other = hub.bus.handle(ac.CreateToken(user="cust", name="t"), system_actor("cli"))["token"]
    hidden = requests.get(url, headers={"Authorization": f"Bearer {other}"}, timeout=10)
    assert hidden.status_code == 404  # customers do not see alert tickets
