"""Configuration checked at start, and parked reactions that stay visible and replayable.

The CLI runs as a real subprocess (``python -m hub.cli``) on the test's data dir;
the parked reaction is a real one: the metrics reactor whose RRD directory is a
plain file cannot write, five times, and is parked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.bootstrap import Hub, bootstrap
from hub.config import ConfigError, load_settings
from hub.db import make_engine
from hub.ops.alerts import parse_nagios
from hub.ops.reactors import MetricsReactor
from hub.reactor_failures import reactor_failures
from hub.reactors import run_once
from hub.setup import initialise

NAGIOS = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
              / "shared") / "data" / "nagios" / "json"


def cli(tmp_path: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "t",
           "HUB_DATABASE_URL": ""}
    env.pop("HUB_CONFIG", None)
    if config is not None:
        env["HUB_CONFIG"] = str(config)
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return path


def settings_of(path: Path) -> Any:
    return load_settings(env={"HUB_CONFIG": str(path), "HUB_SECRET_KEY": "t",
                              "HUB_DATA_DIR": str(path.parent / "var")})


def test_a_single_imap_table_is_one_account(tmp_path: Path) -> None:
    single = settings_of(write(tmp_path, '[imap]\nhost = "127.0.0.1"\nport = 1143\n'
                                         'username = "support"\npassword_env = "PW"\n'))
    assert single.extra["imap"] == [{"host": "127.0.0.1", "port": 1143, "username": "support",
                                     "password_env": "PW"}]
    listed = settings_of(write(tmp_path, '[[imap]]\nhost = "a"\nusername = "u"\n'
                                         '[[imap]]\nhost = "b"\nusername = "v"\n'))
    assert [a["host"] for a in listed.extra["imap"]] == ["a", "b"]


@pytest.mark.parametrize(("text", "named"), [
    ('[imap]\nhots = "127.0.0.1"\nusername = "u"\n', "imap.hots"),
    ('[imap]\nhost = "h"\n', "imap.username is required"),
    ('alert_route = []\n', "'alert_route'"),
    ('[nagios]\nstatus_file = "/x"\nack_retry_seconds = "soon"\n',
     "nagios.ack_retry_seconds must be a number"),
    ('[nagios]\nstatusfile = "/x"\n', "unknown key nagios.statusfile"),
    ('[[alert_routes]]\nhost = "db-*"\nack_on_comment = "yes"\n',
     "alert_routes[0].ack_on_comment must be true or false"),
    ('[keepalived]\nsettle_seconds = true\n', "keepalived.settle_seconds"),
    ('ticket_tag = 5\n', "ticket_tag must be a string"),
    ('[[lb_pools]]\nname = "web"\nmembers = "web1"\n', "lb_pools[0].members must be a list"),
])
def test_unknown_or_ill_typed_keys_are_errors_naming_the_key(
        tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_of(write(tmp_path, text))
    assert named in str(raised.value)


def test_config_check_and_serve_refuse_a_bad_file(tmp_path: Path) -> None:
    good = write(tmp_path, '[nagios]\ncommand_file = "/run/nagios.cmd"\n'
                           '[[alert_routes]]\nhost = "db-*"\nqueue = "General"\n'
                           'ack_on_take = false\n[keepalived]\nsettle_seconds = 2.5\n')
    checked = cli(tmp_path, "config", "check", config=good)
    assert checked.returncode == 0 and checked.stdout.strip() == "OK", checked.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[imap]\nhost = "h"\nusername = "u"\npasword = "x"\n[nagios]\nfoo = 1\n')
    checked = cli(tmp_path, "config", "check", config=bad)
    assert checked.returncode == 1
    assert "unknown key imap.pasword" in checked.stdout
    assert "unknown key nagios.foo" in checked.stdout
    served = cli(tmp_path, "serve", "--http", "127.0.0.1:1", "--no-smtp", "--no-scheduler",
                 config=bad)
    assert served.returncode != 0
    lines = served.stderr.strip().splitlines()
    assert len(lines) == 1 and "imap.pasword" in lines[0], served.stderr
    semantic = tmp_path / "route.toml"  # well-typed, but a source no rule can match
    semantic.write_text('[[alert_routes]]\nname = "z"\nsource = "zabbix"\n')
    served = cli(tmp_path, "serve", "--http", "127.0.0.1:1", "--no-smtp", "--no-scheduler",
                 config=semantic)
    lines = served.stderr.strip().splitlines()
    assert served.returncode != 0 and len(lines) == 1 and "routing rule z" in lines[0], lines
    checked = cli(tmp_path, "config", "check", config=semantic)
    assert checked.returncode == 1 and "source must be one of" in checked.stdout


@pytest.fixture
def broken_metrics(tmp_path: Path) -> Any:
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "t"})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="admin-password")
    rrd = settings.data_dir / "rrd"
    if rrd.is_dir():
        rrd.rmdir()
    rrd.write_text("not a directory")
    yield hub, rrd
    hub.engine.dispose()


def park_one(hub: Hub) -> tuple[int, int]:
    reactor = next(r for r in hub.reactors if isinstance(r, MetricsReactor))
    run_once(hub, reactor)
    doc = json.loads(next(NAGIOS.glob("01-*.json")).read_text())["body_json"]
    from hub.ops.handlers import submit

    ticket = int(submit(hub, parse_nagios(doc))["ticket_id"])
    attempts: dict[int, int] = {}
    for _ in range(5):
        run_once(hub, reactor, attempts=attempts)
    with hub.engine.connect() as conn:
        position = int(conn.execute(sa.select(reactor_failures.c.position)).scalar_one())
    return ticket, position


def test_parked_reaction_is_noted_counted_listed_and_retried(
        broken_metrics: tuple[Hub, Path], tmp_path: Path) -> None:
    hub, rrd = broken_metrics
    ticket, position = park_one(hub)
    with hub.engine.connect() as conn:
        notes = [e.data["body"] for e in hub.store.read_stream(conn, f"ticket-{ticket}")
                 if e.type == "TicketCommented"]
    assert any(f"hub reactors retry ops-alert-metrics:{position}" in n for n in notes)
    client = create_app(hub).test_client()
    health = client.get("/healthz").get_json()
    assert (health["status"], health["node"], health["parked_reactions"]) == (
        "ok", hub.settings.node_name, 1)

    listed = cli(tmp_path, "reactors", "failures")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[:2]
    assert header.split()[:6] == ["ID", "REACTOR", "POSITION", "EVENT", "TICKET", "ATTEMPTS"]
    assert row.split()[:6] == [f"ops-alert-metrics:{position}", "ops-alert-metrics",
                               str(position), "AlertReceived", str(ticket), "5"]

    still = cli(tmp_path, "reactors", "retry", f"ops-alert-metrics:{position}")
    assert still.returncode == 1 and "failed again" in still.stdout
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(reactor_failures.c.attempts)).scalar_one() == 6
    rrd.unlink()
    rrd.mkdir()
    done = cli(tmp_path, "reactors", "retry", "--all")
    assert done.returncode == 0 and f"ops-alert-metrics:{position} done" in done.stdout
    assert client.get("/healthz").get_json()["parked_reactions"] == 0
    assert any(rrd.iterdir())  # the metric was written this time
    assert cli(tmp_path, "reactors", "retry").returncode == 2  # neither ID nor --all
