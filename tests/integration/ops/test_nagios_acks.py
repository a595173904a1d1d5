"""Nagios acknowledgements: requested, written under the host NAME, confirmed from status.

A real FIFO stands in for Nagios's command file and the test writes the
``status.dat`` and ``objects.cache`` Nagios would write (the real Nagios 4 runs in
test_alerts_nagios_real.py); time is passed to ``tick`` so backoff over hours is
checked without waiting for it.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import make_engine
from hub.domain import PermissionDeniedError, StateConflictError
from hub.eventstore import utcnow
from hub.ops.alerts import parse_nagios
from hub.ops.commands import AcknowledgeAlert, ReceiveAlert
from hub.ops.queries import nagios_ack_state, parse_nagios_email
from hub.ops.reactors import AckBackReactor
from hub.ops.tables import alerts, nagios_acks
from hub.reactors import run_once
from hub.setup import initialise
from hub.tickets import commands as tc

DATA = Path(os.environ.get("HUB_SHARED_DIR") or Path(__file__).resolve().parents[4]
            / "shared") / "data" / "nagios"
ALICE = Actor(name="alice", email="alice@example.com", role="staff", source="web")
OBJECTS = """define host {
\thost_name\tweb-01
\talias\tWeb frontend 01
\taddress\t127.0.0.2
\t}

define host {
\thost_name\tedge-01
\talias\tEdge router
\t}
"""


def status(acked_service: bool = False, acked_host: bool = False) -> str:
    return (f"hoststatus {{\n\thost_name=edge-01\n\tcurrent_state=1\n"
            f"\tproblem_has_been_acknowledged={int(acked_host)}\n\t}}\n\n"
            f"servicestatus {{\n\thost_name=web-01\n\tservice_description=App Health\n"
            f"\tplugin_output=CRITICAL: x=1\n\tcurrent_state=2\n"
            f"\tproblem_has_been_acknowledged={int(acked_service)}\n\t}}\n")


@pytest.fixture
def ack_hub(tmp_path: Path) -> Iterator[Hub]:
    (tmp_path / "objects.cache").write_text(OBJECTS)
    (tmp_path / "status.dat").write_text(status())
    (tmp_path / "hub.toml").write_text(
        f'[nagios]\ncommand_file = "{tmp_path / "nagios.cmd"}"\n'
        f'status_file = "{tmp_path / "status.dat"}"\n'
        f'object_cache_file = "{tmp_path / "objects.cache"}"\n'
        'ack_confirm_seconds = 20\nhost_aliases = { "Legacy name" = "edge-01" }\n'
        '[[alert_routes]]\nname = "chatty"\nhost = "edge-*"\nack_on_comment = true\n')
    os.mkfifo(tmp_path / "nagios.cmd")
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_SECRET_KEY": "t",
                                  "HUB_CONFIG": str(tmp_path / "hub.toml")})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="admin-password")
    for name, role in (("alice", "staff"), ("carol", "customer")):
        hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                     password="password123"), system_actor("cli"))
    run_once(hub, reactor(hub))  # a new reactor starts at the head
    yield hub
    hub.engine.dispose()


def reactor(hub: Hub) -> AckBackReactor:
    return next(r for r in hub.reactors if isinstance(r, AckBackReactor))


def captured(prefix: str) -> dict[str, Any]:
    return dict(json.loads(next((DATA / "json").glob(f"{prefix}-*.json")).read_text())[
        "body_json"])


def send(hub: Hub, signal: Any) -> int:
    result = hub.bus.handle(ReceiveAlert(signal), system_actor("alert", "nagios"),
                            idempotency_key=f"alert:{signal.delivery_id}")
    return int(result["ticket_id"])


def mail_alert(hub: Hub) -> int:
    """The stock notify-service-by-email mail: its Host: line is the ALIAS."""
    raw = (DATA / "email" / "02-service-PROBLEM-web-01-App_Health.eml").read_text()
    head, _, body = raw.partition("\n\n")
    subject = next(line[9:] for line in head.splitlines() if line.startswith("Subject: "))
    signal = parse_nagios_email(subject, body)
    assert signal is not None and signal.host == "Web frontend 01"
    return send(hub, signal)


def drain(fd: int) -> str:
    try:
        return os.read(fd, 65536).decode()
    except OSError as exc:
        if exc.errno == errno.EAGAIN:
            return ""
        raise


def pump(hub: Hub) -> None:
    """Staff event -> AcknowledgeAlert -> AlertAckRequested -> queue row."""
    run_once(hub, reactor(hub))
    run_once(hub, reactor(hub))


def row(hub: Hub) -> Any:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(nagios_acks)).one()


def alert_row(hub: Hub, ticket_id: int) -> Any:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(alerts).where(alerts.c.ticket_id == ticket_id)).one()


def comments(hub: Hub, ticket_id: int) -> list[str]:
    with hub.engine.connect() as conn:
        stream = hub.store.read_stream(conn, f"ticket-{ticket_id}")
    return [str(e.data.get("body", "")) for e in stream if e.type == "TicketCommented"]


def types(hub: Hub) -> list[str]:
    with hub.engine.connect() as conn:
        return [e.type for e in hub.store.read_all(conn, 0, 100000)]


def test_alias_from_mail_written_as_host_name_and_sent_only_when_status_confirms(
        ack_hub: Hub, tmp_path: Path) -> None:
    ticket = mail_alert(ack_hub)
    ack_hub.bus.handle(tc.ChangeOwner(ticket, "take"), ALICE)  # take acks (as before)
    pump(ack_hub)
    reader = os.open(tmp_path / "nagios.cmd", os.O_RDONLY | os.O_NONBLOCK)
    try:
        now = utcnow()
        assert reactor(ack_hub).tick(ack_hub, now) == 1
        line = drain(reader)
    finally:
        os.close(reader)
    assert line.endswith("] ACKNOWLEDGE_SVC_PROBLEM;web-01;App Health;2;1;1;alice;"
                         f"OpsHub ticket #{ticket} taken by alice\n")  # name, not alias
    assert row(ack_hub).state == "written" and "AlertAckSent" not in types(ack_hub)
    reactor(ack_hub).tick(ack_hub, now + dt.timedelta(seconds=2))
    assert not alert_row(ack_hub, ticket).ack_sent  # status.dat does not show it yet
    (tmp_path / "status.dat").write_text(status(acked_service=True))
    reactor(ack_hub).tick(ack_hub, now + dt.timedelta(seconds=4))
    assert alert_row(ack_hub, ticket).ack_sent and row(ack_hub).state == "confirmed"
    assert types(ack_hub).count("AlertAckSent") == 1
    with ack_hub.engine.connect() as conn:
        assert nagios_ack_state(conn, ticket)[0]["ack"] == "confirmed"


def test_rejected_ack_is_retried_with_backoff_then_reported_on_the_ticket(
        ack_hub: Hub, tmp_path: Path) -> None:
    ticket = mail_alert(ack_hub)
    ack_hub.bus.handle(AcknowledgeAlert(ticket, "on it"), ALICE)
    pump(ack_hub)
    reader = os.open(tmp_path / "nagios.cmd", os.O_RDONLY | os.O_NONBLOCK)
    try:
        start = utcnow()
        reactor(ack_hub).tick(ack_hub, start)
        assert "acknowledged by alice: on it" in drain(reader)
        # Nagios rejected it: status.dat never shows the acknowledgement.
        reactor(ack_hub).tick(ack_hub, start + dt.timedelta(seconds=21))
        first = row(ack_hub)
        assert first.state == "pending" and first.attempts == 1
        assert 29 <= (first.next_at - start).total_seconds() <= 52  # 30 s backoff
        assert any("not confirmed yet" in c for c in comments(ack_hub, ticket))
        delays, now = [], start + dt.timedelta(seconds=21)
        while row(ack_hub).state == "pending":
            now = row(ack_hub).next_at
            reactor(ack_hub).tick(ack_hub, now)
            drain(reader)
            reactor(ack_hub).tick(ack_hub, now + dt.timedelta(seconds=21))
            delays.append((row(ack_hub).next_at - now).total_seconds() - 21)
    finally:
        os.close(reader)
    assert delays[:4] == [60, 120, 240, 480] and max(delays) == 1800  # doubling, 30 min cap
    assert dt.timedelta(hours=11) < now - start < dt.timedelta(hours=12, minutes=1)
    last = row(ack_hub)
    assert last.state == "failed" and "shows no acknowledgement" in last.error
    notes = comments(ack_hub, ticket)
    assert sum("not confirmed yet" in c for c in notes) == 1  # said once, not per retry
    assert any("gave up after" in c and "by hand" in c for c in notes)
    assert "AlertAckSent" not in types(ack_hub) and "AlertAckFailed" in types(ack_hub)
    assert not alert_row(ack_hub, ticket).ack_sent


def test_ack_while_nagios_is_down_is_delivered_when_it_is_back(
        ack_hub: Hub, tmp_path: Path) -> None:
    ticket = send(ack_hub, parse_nagios(captured("13")))  # host problem edge-01
    ack_hub.bus.handle(AcknowledgeAlert(ticket), ALICE)
    pump(ack_hub)
    start = utcnow()
    for minutes in (0, 1, 2):  # nobody reads the FIFO: no write, no park, retried
        reactor(ack_hub).tick(ack_hub, start + dt.timedelta(minutes=minutes))
    queued = row(ack_hub)
    assert queued.state == "pending" and "is Nagios running" in queued.error
    with ack_hub.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM reactor_failures")).scalar() == 0
    reader = os.open(tmp_path / "nagios.cmd", os.O_RDONLY | os.O_NONBLOCK)
    try:
        later = queued.next_at
        reactor(ack_hub).tick(ack_hub, later)
        assert "ACKNOWLEDGE_HOST_PROBLEM;edge-01;2;1;1;alice;" in drain(reader)
    finally:
        os.close(reader)
    (tmp_path / "status.dat").write_text(status(acked_host=True))
    reactor(ack_hub).tick(ack_hub, later + dt.timedelta(seconds=1))
    assert alert_row(ack_hub, ticket).ack_sent


def test_comment_acks_only_where_the_route_says_so(ack_hub: Hub, tmp_path: Path) -> None:
    web = mail_alert(ack_hub)                               # default route: no ack on comment
    edge = send(ack_hub, parse_nagios(captured("13")))      # route "chatty": ack_on_comment
    ack_hub.bus.handle(tc.Comment(web, "looking"), ALICE)
    ack_hub.bus.handle(tc.Comment(edge, "looking; now"), ALICE)
    pump(ack_hub)
    with ack_hub.engine.connect() as conn:
        queued = conn.execute(sa.select(nagios_acks.c.ticket_id, nagios_acks.c.comment)).all()
    assert [(r.ticket_id, r.comment) for r in queued] == [
        (edge, f"OpsHub ticket #{edge} comment: looking; now")]


def test_acknowledge_needs_modify_ticket_and_an_open_nagios_problem(ack_hub: Hub) -> None:
    ticket = mail_alert(ack_hub)
    carol = Actor(name="carol", email="carol@example.com", role="customer", source="api")
    with pytest.raises(Exception) as denied:
        ack_hub.bus.handle(AcknowledgeAlert(ticket), carol)
    assert type(denied.value).__name__ in ("NotFoundError", "PermissionDeniedError")
    plain = ack_hub.bus.handle(tc.CreateTicket(queue="General", subject="not an alert",
                                               body="x"), ALICE)["id"]
    with pytest.raises(StateConflictError):
        ack_hub.bus.handle(AcknowledgeAlert(int(plain)), ALICE)
    first = ack_hub.bus.handle(AcknowledgeAlert(ticket, "mine"), ALICE)
    again = ack_hub.bus.handle(AcknowledgeAlert(ticket, "mine"), ALICE)
    assert first["state"] == "pending" and len(first["requested"]) == 1
    assert again["requested"] == []  # once per problem episode
    assert any("Acknowledged by alice: mine" in c for c in comments(ack_hub, ticket))
    assert PermissionDeniedError  # imported for the customer branch above


def test_unknown_host_is_reported_not_written(ack_hub: Hub, tmp_path: Path) -> None:
    doc = captured("13") | {"HOSTNAME": "ghost-01", "HOSTALIAS": "Ghost"}
    ticket = send(ack_hub, parse_nagios(doc))
    ack_hub.bus.handle(AcknowledgeAlert(ticket), ALICE)
    pump(ack_hub)
    reactor(ack_hub).tick(ack_hub, utcnow())
    assert "defines no host 'ghost-01'" in row(ack_hub).error
    assert any("not confirmed yet" in c for c in comments(ack_hub, ticket))


def test_alias_seen_in_the_json_feed_and_configured_aliases(ack_hub: Hub,
                                                            tmp_path: Path) -> None:
    (tmp_path / "objects.cache").unlink()  # no object cache: feed and config only
    send(ack_hub, parse_nagios(captured("01")))  # HOSTALIAS "Web frontend 01" -> web-01
    ticket = mail_alert(ack_hub)
    files = reactor(ack_hub).policy.files
    assert files.resolve_host("Legacy name") == "edge-01"
    ack_hub.bus.handle(AcknowledgeAlert(ticket), ALICE)
    pump(ack_hub)
    reader = os.open(tmp_path / "nagios.cmd", os.O_RDONLY | os.O_NONBLOCK)
    try:
        reactor(ack_hub).tick(ack_hub, utcnow())
        assert "ACKNOWLEDGE_SVC_PROBLEM;web-01;App Health;" in drain(reader)
    finally:
        os.close(reader)


def test_acknowledge_button_and_api(ack_hub: Hub) -> None:
    import re

    from hub import create_app

    ticket = mail_alert(ack_hub)
    app = create_app(ack_hub)
    client = app.test_client()
    login = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True))
    assert login is not None
    assert client.post("/login", data={"username": "alice", "password": "password123",
                                       "csrf_token": login.group(1)}).status_code == 303
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "acknowledgement none" in page
    form = re.search(rf'<form method="post" action="/tickets/{ticket}/ack".*?</form>', page,
                     re.S)
    assert form is not None and 'name="csrf_token"' in form.group(0)
    assert client.post(f"/tickets/{ticket}/ack", data={"comment": "x"}).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
    assert token is not None
    done = client.post(f"/tickets/{ticket}/ack", data={"csrf_token": token.group(1),
                                                       "comment": "from the web"})
    assert done.status_code == 303
    run_once(ack_hub, reactor(ack_hub))  # the reactor queues it (hub serve: at once)
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "acknowledgement pending" in page and f'action="/tickets/{ticket}/ack"' not in page

    api = app.test_client()
    staff = ack_hub.bus.handle(ac.CreateToken(user="alice", name="t"), system_actor("cli"))
    carol = ack_hub.bus.handle(ac.CreateToken(user="carol", name="t"), system_actor("cli"))
    other = send(ack_hub, parse_nagios(captured("13")))
    headers = {"Authorization": f"Bearer {staff['token']}"}
    hidden = api.post(f"/api/v1/alerts/{other}/ack", json={},
                      headers={"Authorization": f"Bearer {carol['token']}"})
    assert hidden.status_code == 404 and "error" in hidden.get_json()
    assert api.post(f"/api/v1/alerts/{other}/ack", json={"comment": 5},
                    headers=headers).status_code == 400
    answer = api.post(f"/api/v1/alerts/{other}/ack", json={"comment": "api"}, headers=headers)
    assert answer.status_code == 202 and answer.get_json()["state"] == "pending"
    plain = ack_hub.bus.handle(tc.CreateTicket(queue="General", subject="plain", body="x"),
                               ALICE)["id"]
    conflict = api.post(f"/api/v1/alerts/{plain}/ack", headers=headers)
    assert conflict.status_code == 409 and "no open Nagios problem" in conflict.get_json()["error"]
    spec = api.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/alerts/{ticket_id}/ack"]
    assert spec["paths"]["/healthz"]["get"]["responses"]["200"]
