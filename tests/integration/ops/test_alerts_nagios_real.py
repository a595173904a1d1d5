"""A real Nagios 4 talks to a real ``hub serve``: PROBLEM, ack back, ACKNOWLEDGEMENT, RECOVERY.

Nagios runs in the foreground from a throw-away config (templates in ``nagios/``),
notifies through ``contrib/nagios/opshub-notify``, and reads the acknowledgements
the hub's reactor writes into its command FIFO.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub

NAGIOS = Path("/usr/sbin/nagios4")
PLUGINS = Path("/usr/lib/nagios/plugins")
TEMPLATES = Path(__file__).parent / "nagios"
NOTIFY = Path(__file__).resolve().parents[3] / "contrib" / "nagios" / "opshub-notify"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _token(hub: Hub, user: str, role: str) -> str:
    hub.bus.handle(ac.CreateUser(name=user, email=f"{user}@example.com", role=role,
                                 password="password123"), system_actor("cli"))
    return str(hub.bus.handle(ac.CreateToken(user=user, name="t"), system_actor("cli"))["token"])


class NagiosRun:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    def render(self, url: str, token: str) -> None:
        values = {"tmp": str(self.tmp), "plugins": str(PLUGINS), "python": sys.executable,
                  "notify": str(NOTIFY)}
        for name in ("nagios.cfg", "objects.cfg", "check_state"):
            text = (TEMPLATES / f"{name}.in").read_text()
            for key, value in values.items():
                text = text.replace("{" + key + "}", value)
            (self.tmp / name).write_text(text)
        (self.tmp / "check_state").chmod(0o755)
        (self.tmp / "checkresults").mkdir()
        (self.tmp / "notify.conf").write_text(
            f"OPSHUB_URL={url}\nOPSHUB_TOKEN={token}\nOPSHUB_SPOOL=\n")
        self.set_state(0)

    def set_state(self, state: int) -> None:
        (self.tmp / "state").write_text(f"{state}\n")

    def start(self) -> None:
        check = subprocess.run([str(NAGIOS), "-v", str(self.tmp / "nagios.cfg")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout[-3000:]
        log = open(self.tmp / "nagios.out", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([str(NAGIOS), str(self.tmp / "nagios.cfg")],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for("the Nagios command FIFO", lambda: (self.tmp / "nagios.cmd").exists(), 30)

    def command(self, line: str) -> None:
        fd = os.open(self.tmp / "nagios.cmd", os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND)
        try:
            os.write(fd, f"[{int(time.time())}] {line}\n".encode())
        finally:
            os.close(fd)

    def force_check(self) -> None:
        self.command(f"SCHEDULE_FORCED_SVC_CHECK;local-web;App State;{int(time.time())}")

    def service_status(self) -> dict[str, str]:
        path = self.tmp / "status.dat"
        if not path.exists():
            return {}
        block: dict[str, str] = {}
        inside = False
        for line in path.read_text(errors="replace").splitlines():
            line = line.strip()
            if line == "servicestatus {":
                inside, block = True, {}
            elif inside and line == "}":
                if block.get("service_description") == "App State":
                    return block
                inside = False
            elif inside and "=" in line:
                key, _, value = line.partition("=")
                block[key] = value
        return {}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self) -> str:
        path = self.tmp / "nagios.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture
def nagios_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               request: pytest.FixtureRequest) -> Iterator[tuple[NagiosRun, Any, Hub]]:
    if not NAGIOS.exists() or not (PLUGINS / "check_dummy").exists():
        pytest.skip("nagios4 and monitoring-plugins are not installed")
    if os.geteuid() != 0:
        pytest.skip("this Nagios config runs as root")
    run_dir = tmp_path / "nagios"
    run_dir.mkdir()
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[nagios]\ncommand_file = "{run_dir / "nagios.cmd"}"\n'
        f'status_file = "{run_dir / "status.dat"}"\n'
        f'object_cache_file = "{run_dir / "objects.cache"}"\n'
        'ack_retry_seconds = 1\nack_retry_max_seconds = 4\nack_confirm_seconds = 8\n')
    monkeypatch.setenv("HUB_CONFIG", str(config))
    srv, hub = request.getfixturevalue("server")  # started after HUB_CONFIG is set
    nagios = NagiosRun(run_dir)
    nagios.render(srv.url, _token(hub, "nagios", "staff"))
    nagios.start()
    try:
        yield nagios, srv, hub
    finally:
        nagios.stop()
        shutil.rmtree(run_dir / "checkresults", ignore_errors=True)


def test_real_nagios_problem_ack_recovery(nagios_hub: tuple[NagiosRun, Any, Hub]) -> None:
    nagios, srv, hub = nagios_hub
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {_token(hub, 'alice', 'staff')}"

    def alert_rows() -> list[dict[str, Any]]:
        response = staff.get(srv.url + "/api/v1/alerts?host=local-web", timeout=10)
        assert response.status_code == 200
        return list(response.json()["alerts"])

    def history(ticket_id: int) -> list[dict[str, Any]]:
        response = staff.get(f"{srv.url}/api/v1/tickets/{ticket_id}/history", timeout=10)
        return list(response.json())

    wait_for("the service's first OK check",
             lambda: nagios.service_status().get("has_been_checked") == "1", 45)
    nagios.set_state(2)
    nagios.force_check()
    try:
        row = wait_for("a PROBLEM ticket", lambda: next(iter(alert_rows()), None), 60)
    except AssertionError:
        raise AssertionError("no ticket; nagios.log:\n" + nagios.log_tail()) from None
    ticket_id = int(row["ticket_id"])
    ticket = staff.get(f"{srv.url}/api/v1/tickets/{ticket_id}", timeout=10).json()
    assert "local-web" in ticket["subject"] and "App State" in ticket["subject"]
    assert row["state"] == "open" and row["object_type"] == "service"

    response = staff.post(f"{srv.url}/api/v1/tickets/{ticket_id}/comment",
                          json={"body": "Looking at it; restarting app"}, timeout=10)
    assert response.status_code == 201, response.text  # a private comment acks nothing
    response = staff.post(f"{srv.url}/api/v1/alerts/{ticket_id}/ack",
                          json={"comment": "restarting app"}, timeout=10)
    assert response.status_code == 202 and response.json()["state"] == "pending", response.text
    wait_for("Nagios to show the acknowledgement",
             lambda: nagios.service_status().get("problem_has_been_acknowledged") == "1", 60)
    wait_for("the ACKNOWLEDGEMENT notification on the ticket", lambda: any(
        "Acknowledged in nagios by alice" in str(e["data"].get("body", ""))
        for e in history(ticket_id)), 60)
    wait_for("the hub to see the acknowledgement confirmed",
             lambda: alert_rows()[0]["ack_sent"], 30)
    rows = alert_rows()
    assert len(rows) == 1 and rows[0]["ack_sent"] and rows[0]["acknowledged"]
    assert sum(e["type"] == "TicketCreated" for e in history(ticket_id)) == 1

    nagios.set_state(0)
    nagios.force_check()
    wait_for("the RECOVERY to resolve the ticket", lambda: staff.get(
        f"{srv.url}/api/v1/tickets/{ticket_id}", timeout=10).json()["status"] == "resolved", 60)
    assert len(alert_rows()) == 1
    acks = (nagios.tmp / "nagios.log").read_text(errors="replace").count(
        "ACKNOWLEDGE_SVC_PROBLEM;local-web;App State")
    assert acks == 1  # once per problem, although staff did two things


def _critical(nagios: NagiosRun) -> None:
    wait_for("the service's first OK check",
             lambda: nagios.service_status().get("has_been_checked") == "1", 45)
    nagios.set_state(2)
    nagios.force_check()
    wait_for("Nagios to see the service CRITICAL",
             lambda: nagios.service_status().get("current_state") == "2", 60)


STOCK_MAIL = """\
From: nagios@nagios-peer.test
To: general@hub.test
Subject: ** PROBLEM Service Alert: Local web/App State is CRITICAL **
Message-Id: <stock-{stamp}@nagios-peer.test>
X-Mailer: Nagios 4 notify-service-by-email

***** Nagios *****

Notification Type: PROBLEM

Service: App State
Host: Local web
Address: 127.0.0.1
State: CRITICAL

Date/Time: Wed Dec 2 10:00:00 UTC 2026

Additional Info:

state file says 2
"""


def test_real_nagios_ack_of_a_mail_alert_names_the_host_and_is_confirmed(
        nagios_hub: tuple[NagiosRun, Any, Hub]) -> None:
    """The stock mail says only the ALIAS ("Local web"); Nagios accepts only the name."""
    import smtplib

    nagios, srv, hub = nagios_hub
    nagios.command("DISABLE_NOTIFICATIONS")  # the ticket comes from the stock mail alone
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {_token(hub, 'alice', 'staff')}"
    _critical(nagios)
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as smtp:
        smtp.sendmail("nagios@nagios-peer.test", ["general@hub.test"],
                      STOCK_MAIL.format(stamp=int(time.time())).replace("\n", "\r\n"))

    def mail_row() -> dict[str, Any] | None:
        answer = staff.get(srv.url + "/api/v1/alerts?host=Local web", timeout=10).json()
        return next(iter(answer["alerts"]), None)

    row = wait_for("the mail alert's ticket", mail_row, 60)
    ticket_id = int(row["ticket_id"])
    response = staff.post(f"{srv.url}/api/v1/alerts/{ticket_id}/ack", json={}, timeout=10)
    assert response.status_code == 202, response.text
    wait_for("Nagios to show the acknowledgement",
             lambda: nagios.service_status().get("problem_has_been_acknowledged") == "1", 60)
    wait_for("the hub to record it as confirmed",
             lambda: (mail_row() or {}).get("ack_sent"), 30)
    log = (nagios.tmp / "nagios.log").read_text(errors="replace")
    assert "ACKNOWLEDGE_SVC_PROBLEM;local-web;App State;" in log
    assert "ACKNOWLEDGE_SVC_PROBLEM;Local web" not in log
    # The same button a second time: nothing is left to acknowledge twice.
    again = staff.post(f"{srv.url}/api/v1/alerts/{ticket_id}/ack", json={}, timeout=10)
    assert again.status_code == 202 and again.json()["requested"] == [], again.text
    time.sleep(2)
    assert (nagios.tmp / "nagios.log").read_text(errors="replace").count(
        "ACKNOWLEDGE_SVC_PROBLEM;local-web;App State;") == 1


def test_real_nagios_ack_while_nagios_is_down_arrives_after_restart(
        nagios_hub: tuple[NagiosRun, Any, Hub]) -> None:
    import sqlalchemy as sa

    from hub.ops.tables import nagios_acks

    nagios, srv, hub = nagios_hub
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {_token(hub, 'alice', 'staff')}"
    _critical(nagios)
    row = wait_for("a PROBLEM ticket", lambda: next(iter(staff.get(
        srv.url + "/api/v1/alerts?host=local-web", timeout=10).json()["alerts"]), None), 60)
    ticket_id = int(row["ticket_id"])
    nagios.stop()
    response = staff.post(f"{srv.url}/api/v1/alerts/{ticket_id}/ack",
                          json={"comment": "while Nagios was down"}, timeout=10)
    assert response.status_code == 202, response.text

    def queued() -> Any:
        with hub.engine.connect() as conn:
            return conn.execute(sa.select(nagios_acks)).first()

    failing = wait_for("a failed attempt", lambda: (q := queued()) is not None
                       and q.attempts >= 2 and q, 30)
    assert failing.state in ("pending", "written") and "AlertAckSent" not in {
        e["type"] for e in staff.get(f"{srv.url}/api/v1/tickets/{ticket_id}/history",
                                     timeout=10).json()}
    health = requests.get(srv.url + "/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["parked_reactions"] == 0  # not parked
    nagios.start()
    wait_for("the acknowledgement in Nagios after its restart",
             lambda: nagios.service_status().get("problem_has_been_acknowledged") == "1", 90)
    wait_for("the hub to record it as confirmed", lambda: queued().state == "confirmed", 30)
    assert "while Nagios was down" in (nagios.tmp / "nagios.log").read_text(errors="replace")
