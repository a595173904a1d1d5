"""Projections rebuilt from position 0 equal the ones kept up to date command by command.

A property test drives random ticket commands (valid and invalid, from several
actors) through the message bus, snapshots every read-model table of every
registered projection, rebuilds them all, and compares. It also checks the ticket
read model against tickets replayed straight from their streams, and that a
refused command changes nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import WRITE, events, make_engine, projection_positions, writing
from hub.domain import DomainError
from hub.tickets import commands as tc
from hub.tickets.model import LINK_KINDS, Ticket
from hub.tickets.snapshot import iso, snapshot
from hub.tickets.tables import ticket_watchers, tickets

SQLITE_EXAMPLES = 100
POSTGRES_EXAMPLES = 6

ACTORS = {
    "admin": Actor("admin", "admin@hub.test", "admin", "web"),
    "sam": Actor("sam", "sam@example.com", "staff", "web"),
    "tess": Actor("tess", "tess@example.com", "staff", "api"),
    "carl": Actor("carl", "carl@example.com", "customer", "email"),
    "cora": Actor("cora", "cora@example.com", "customer", "web"),
    "alert": system_actor("alert", "nagios"),
}
USERS = [("sam", "staff"), ("tess", "staff"), ("carl", "customer"), ("cora", "customer")]
OPS_FIELDS = [
    {"name": "host", "type": "text", "max_length": 20},
    {"name": "count", "type": "integer"},
    {"name": "ratio", "type": "number"},
    {"name": "ok", "type": "boolean"},
    {"name": "when", "type": "date"},
    {"name": "env", "type": "select", "values": ["prod", "test"]},
    {"name": "tags", "type": "multiselect", "values": ["a", "b", "c"]},
    {"name": "ip", "type": "ip", "internal": True},
]
STRICT_LIFECYCLE = {
    "name": "strict", "initial": ["new"], "active": ["open"],
    "inactive": ["resolved", "rejected"],
    "transitions": {"new": ["open", "rejected"], "open": ["resolved"],
                    "resolved": ["open"], "rejected": []},
    "rights": [["*", "rejected", "ModifyTicket"], ["*", "resolved", "ResolveTicket"]],
}
VALID_FIELD_VALUES: dict[str, list[Any]] = {
    "host": ["web1", "db-2", "", None],
    "count": [0, 7, -3, "12", 2.0, None],
    "ratio": [0.5, "1.25", 3, None],
    "ok": [True, False, "yes", "off", None],
    "when": ["2024-02-29", "2031-12-01", None],
    "env": ["prod", "test", None],
    "tags": [["a"], ["a", "b"], "c", [], None],
    "ip": ["10.0.0.1", "::1", "2001:DB8::1", None],
}
INVALID_FIELD_VALUES: dict[str, list[Any]] = {
    "host": [5, "x" * 30], "count": ["x", 1.5, True], "ratio": ["abc"], "ok": ["maybe"],
    "when": ["2023-02-29", "nope"], "env": ["staging"], "tags": [["z"]], "ip": ["999.1.1.1"],
}
STATUSES = ["new", "open", "stalled", "resolved", "rejected", "deleted"]
ADDRESSES = ["carl@example.com", "cora@example.com", "ext@other.org", "Sam@Example.com"]


# -- hubs --------------------------------------------------------------------------------

def hub_at(data_dir: Path, url: str | None = None) -> Hub:
    settings = load_settings(env={"HUB_DATA_DIR": str(data_dir), "HUB_DATABASE_URL": url or "",
                                  "HUB_SECRET_KEY": "test-secret",
                                  "HUB_MAIL_DOMAIN": "hub.test"})
    return bootstrap(settings, make_engine(settings.sqlalchemy_url))


def populate(hub: Hub) -> None:
    """Users, and queues with typed fields and a stricter lifecycle, on an initialised hub."""
    cli = system_actor("cli")
    for name, role in USERS:
        hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role=role,
                                     password="password123"), cli)
    hub.bus.handle(tc.CreateQueue(name="Ops", custom_fields=OPS_FIELDS), cli)
    hub.bus.handle(tc.CreateQueue(name="Strict", lifecycle=STRICT_LIFECYCLE,
                                  customers_may_create=False, reopen_policy="new_ticket"), cli)


@pytest.fixture
def sqlite_template(hub: Hub) -> Iterator[Path]:
    """A populated SQLite file each example copies instead of migrating again."""
    populate(hub)
    hub.engine.dispose()  # checkpoints the WAL into the file
    yield hub.settings.data_dir / "hub.db"


@contextmanager
def copied_sqlite_hub(template: Path, root: Path) -> Iterator[Hub]:
    data_dir = root / uuid.uuid4().hex[:10]
    data_dir.mkdir(parents=True)
    shutil.copy(template, data_dir / "hub.db")
    hub = hub_at(data_dir)
    try:
        yield hub
    finally:
        hub.engine.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def copied_postgres_hub(template_url: str, root: Path) -> Iterator[Hub]:
    template = template_url.rsplit("/", 1)[1]
    name = f"hub_p_{uuid.uuid4().hex[:12]}"
    # Connected to the maintenance database: nobody may sit on the template while it is copied.
    admin = sa.create_engine(os.environ["HUB_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        hub = hub_at(root / name, template_url.rsplit("/", 1)[0] + f"/{name}")
        try:
            yield hub
        finally:
            hub.engine.dispose()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{name}"'))
    finally:
        admin.dispose()


# -- snapshots ---------------------------------------------------------------------------

def table_rows(conn: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    return sorted((dict(r._mapping) for r in conn.execute(sa.select(table))), key=repr)


def read_models(hub: Hub) -> dict[str, list[dict[str, Any]]]:
    """Every table of every registered projection, plus the projections' positions."""
    out: dict[str, list[dict[str, Any]]] = {}
    with hub.engine.connect() as conn:
        for projection in hub.runner.projections.values():
            for table in projection.tables:
                out[f"{projection.name}.{table.name}"] = table_rows(conn, table)
        # Node-local positions (each node's search index, ``search:<node>``) belong to
        # that node's index, not to the SQL read models compared here.
        out["projection_positions"] = [r for r in table_rows(conn, projection_positions)
                                       if not str(r["name"]).startswith("search:")]
    return out


def head(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return hub.store.last_position(conn)


def rebuild(hub: Hub) -> int:
    """As ``hub projections rebuild`` does it: one write transaction holding the append lock."""
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        hub.store.lock_for_append(conn)
        return hub.runner.rebuild(conn)


def assert_tickets_match_their_streams(hub: Hub) -> None:
    with hub.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(tickets))}
        streams = [s for (s,) in conn.execute(sa.text(
            "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'ticket-%'"))]
        assert sorted(rows) == sorted(int(s.split("-", 1)[1]) for s in streams)
        watchers = table_rows(conn, ticket_watchers)
        expected_watchers = []
        for number, row in rows.items():
            ticket = Ticket(str(number))
            ticket.replay(hub.store.read_stream(conn, f"ticket-{number}"))
            state = json.loads(json.dumps(snapshot(ticket)))
            assert row.state == state, number
            assert (row.version, row.queue, row.subject, row.status, row.owner, row.priority,
                    row.merged_into) == (ticket.version, ticket.queue, ticket.subject,
                                         ticket.status, ticket.owner, ticket.priority,
                                         ticket.merged_into)
            assert (row.created_at, row.updated_at) == (ticket.created_at, ticket.updated_at)
            assert iso(row.updated_at) == state["updated_at"]
            expected_watchers += [{"ticket_id": number, "role": role, "address": a}
                                  for role, people in ticket.watchers.items() for a in people]
        assert watchers == sorted(expected_watchers, key=repr)


# -- random commands ---------------------------------------------------------------------

class Driver:
    """Draws one command at a time from the current state and runs it through the bus.

    Every parameter is usually valid and sometimes (about one draw in eight) not, so
    that most commands succeed and each kind of refusal still turns up.
    """

    def __init__(self, hub: Hub, data: st.DataObject) -> None:
        self.hub = hub
        self.data = data
        self.ids: list[int] = []
        self.tokens: list[tuple[str, str]] = []
        self.refused = 0
        self.accepted = 0

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def pick(self, valid: list[Any], label: str, invalid: list[Any] | None = None) -> Any:
        if invalid and self.draw(st.integers(0, 11), f"{label} invalid?") == 11:
            return self.draw(st.sampled_from(invalid), label)
        return self.draw(st.sampled_from(valid), label)

    def flag(self, label: str) -> bool:
        return bool(self.draw(st.booleans(), label))

    def ticket(self, label: str = "ticket", other_than: int | None = None) -> int:
        choices = [i for i in self.ids if i != other_than]
        invalid = [999] if other_than is None else [999, other_than]
        return int(self.pick(choices, label, invalid) if choices else invalid[-1])

    def queue_of(self, number: int) -> str | None:
        with self.hub.engine.connect() as conn:
            return conn.execute(sa.select(tickets.c.queue)
                                .where(tickets.c.id == number)).scalar()

    def version_of(self, number: int) -> int:
        with self.hub.engine.connect() as conn:
            return self.hub.store.stream_version(conn, f"ticket-{number}")

    def fields(self, queue: str | None) -> dict[str, Any]:
        """Custom field values for a ticket in ``queue`` (only Ops has fields)."""
        if queue != "Ops":
            return self.pick([{}], "fields", [{"host": "web1"}])
        names = self.draw(st.lists(st.sampled_from(sorted(VALID_FIELD_VALUES)), max_size=3,
                                   unique=True), "field names")
        out = {n: self.pick(VALID_FIELD_VALUES[n], n, INVALID_FIELD_VALUES.get(n))
               for n in names}
        if self.draw(st.integers(0, 15), "unknown field?") == 15:
            out["nope"] = "x"
        return out

    def command(self) -> Any:
        kind = self.pick(["create", "create", "correspond", "comment", "status", "status",
                          "owner", "update", "fields", "fields", "link", "merge", "time",
                          "watch", "move", "account"], "kind")
        if kind == "create" or not self.ids:
            queue = self.pick(["General", "Ops", "Strict"], "queue", ["Nope"])
            return tc.CreateTicket(
                queue=queue,
                subject=self.pick(["Disk full on web1", "VPN down", "Printer"], "subj", ["  "]),
                body=self.pick(["", "it broke", "see logs"], "body"),
                requestors=self.pick([None, ["carl@example.com"], ["cora@example.com"]],
                                     "requestors", [["bad address"]]),
                cc=self.pick([None, ["cora@example.com"]], "cc"),
                priority=self.pick([0, 10, 99, "5"], "priority", [100, "x"]),
                fields=self.fields(queue) if self.flag("with fields") else None,
                owner=self.pick([None, None, "sam"], "owner", ["carl", "ghost"]),
                status=self.pick([None, None, "open", "stalled"], "status", ["bogus"]))
        number = self.ticket()
        if kind == "correspond":
            return tc.Correspond(number, self.pick(["thanks", "any news?"], "body", ["  "]))
        if kind == "comment":
            return tc.Comment(number, self.pick(["internal note"], "body", [""]))
        if kind == "status":
            return tc.UpdateTicket(number, status=self.pick(STATUSES, "status", ["bogus"]),
                                   force=self.flag("force"))
        if kind == "owner":
            how = self.pick(["take", "untake", "steal", "assign"], "how", ["grab"])
            return tc.ChangeOwner(number, how, self.pick(["sam", "tess", "admin"], "owner",
                                                         ["carl", "ghost", None]))
        if kind == "update":
            version = self.version_of(number)
            return tc.UpdateTicket(
                number, expected_version=self.pick([None, version], "expected", [version - 1]),
                priority=self.pick([None, 0, 42, 99, "7"], "priority", [100, -1, True]),
                subject=self.pick([None, "Renamed"], "subject", ["", "x" * 501]),
                due=self.pick([None, "2030-05-01T10:00:00Z", "2030-05-01"], "due",
                              ["garbage"]),
                due_set=self.flag("due_set"),
                owner=self.pick([None, "sam", "tess"], "owner"),
                owner_set=self.flag("owner_set"),
                status=self.pick([None, *STATUSES], "status", ["bogus"]))
        if kind == "fields":
            return tc.UpdateTicket(number, fields=self.fields(self.queue_of(number)))
        if kind == "link":
            return tc.LinkTickets(number, self.pick(sorted(LINK_KINDS), "kind", ["bogus"]),
                                  self.ticket("target", number),
                                  add=self.pick([True, True, False], "add"))
        if kind == "merge":
            return tc.MergeTickets(number, self.ticket("into", number))
        if kind == "time":
            return tc.RecordTime(number, self.pick([15, 60, -5], "minutes", [0, 20_000, "10"]),
                                 self.pick([None, "sam"], "user"))
        if kind == "watch":
            return tc.ChangeWatcher(number, self.pick(["requestors", "cc", "admincc"], "role",
                                                      ["boss"]),
                                    self.pick(ADDRESSES, "address", ["bad address"]),
                                    self.flag("add"))
        if kind == "move":
            return tc.UpdateTicket(number, queue=self.pick(["General", "Ops", "Strict"], "queue",
                                                           ["Nope"]))
        return self.account_command()

    def account_command(self) -> Any:
        what = self.pick(["token", "revoke", "rename", "queue"], "account")
        if what == "token":
            return ac.CreateToken(user=self.pick(["sam", "carl"], "user", ["ghost"]), name="t")
        if what == "revoke" and self.tokens:
            user, token_id = self.pick(self.tokens, "token")
            return ac.RevokeToken(user=user, token_id=token_id)
        if what == "queue":
            return tc.ChangeQueue("Ops", {"description": self.pick(["ops", "Ops team"], "d")})
        return ac.ChangeUser(name=self.pick(["carl", "cora"], "user", ["ghost"]),
                             display_name=self.pick(["Carl C.", "Cora"], "display"))

    def step(self) -> None:
        actor = ACTORS[self.pick(["admin", "sam", "tess", "alert"], "actor", ["carl", "cora"])]
        cmd = self.command()
        before_head = head(self.hub)
        before = read_models(self.hub)
        try:
            result = self.hub.bus.handle(cmd, actor)
        except DomainError:
            self.refused += 1
            # A refused command changes nothing: no event, no read-model row.
            assert head(self.hub) == before_head, cmd
            assert read_models(self.hub) == before, cmd
            return
        self.accepted += 1
        if isinstance(cmd, tc.CreateTicket):
            self.ids.append(int(result["id"]))
        if isinstance(cmd, ac.CreateToken):
            self.tokens.append((cmd.user, result["token_id"]))


def exercise(hub: Hub, data: st.DataObject, steps: int) -> Driver:
    driver = Driver(hub, data)
    for _ in range(steps):
        driver.step()
    return driver


def check_rebuild_is_identical(hub: Hub) -> None:
    assert_tickets_match_their_streams(hub)
    before = read_models(hub)
    with hub.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert rebuild(hub) == stored
    assert read_models(hub) == before
    assert_tickets_match_their_streams(hub)


# -- property tests ----------------------------------------------------------------------

@settings(max_examples=SQLITE_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_rebuilt_projections_equal_live_ones_sqlite(data: st.DataObject, sqlite_template: Path,
                                                    tmp_path: Path) -> None:
    steps = data.draw(st.integers(10, 60), label="steps")
    with copied_sqlite_hub(sqlite_template, tmp_path / "examples") as hub:
        driver = exercise(hub, data, steps)
        assert driver.accepted + driver.refused == steps
        check_rebuild_is_identical(hub)
        # Projections keep working after a rebuild: more commands, same result again.
        exercise(hub, data, 5)
        check_rebuild_is_identical(hub)


@pytest.mark.parametrize("any_hub", ["postgresql"], indirect=True)
@settings(max_examples=POSTGRES_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_rebuilt_projections_equal_live_ones_postgresql(data: st.DataObject, any_hub: Hub,
                                                        tmp_path: Path) -> None:
    if not getattr(any_hub, "_populated", False):
        populate(any_hub)
        any_hub.engine.dispose()  # no session may stay on a template database
        any_hub._populated = True  # type: ignore[attr-defined]
    url = any_hub.engine.url.render_as_string(hide_password=False)
    with copied_postgres_hub(url, tmp_path / "examples") as hub:
        exercise(hub, data, data.draw(st.integers(20, 60), label="steps"))
        check_rebuild_is_identical(hub)


def test_rebuild_after_many_scripted_commands(hub: Hub) -> None:
    """A fixed scenario covering every event type once, so a plain run always has them."""
    populate(hub)
    admin, carl = ACTORS["admin"], ACTORS["carl"]
    a = hub.bus.handle(tc.CreateTicket(queue="Ops", subject="A", body="x",
                                       fields={"count": "3", "tags": ["a"]}), carl)["id"]
    b = hub.bus.handle(tc.CreateTicket(queue="General", subject="B",
                                       requestors=["cora@example.com"]), admin)["id"]
    for cmd in (tc.Correspond(a, "on it"), tc.Comment(a, "note"),
                tc.ChangeOwner(a, "assign", "sam"), tc.UpdateTicket(a, priority=40),
                tc.UpdateTicket(a, subject="A2", due="2031-01-01", due_set=True),
                tc.UpdateTicket(a, fields={"env": "prod", "count": None}),
                tc.ChangeWatcher(a, "cc", "ext@other.org"), tc.LinkTickets(a, "depends_on", b),
                tc.RecordTime(a, 30), tc.UpdateTicket(b, queue="Strict"),
                tc.MergeTickets(b, a), tc.UpdateTicket(a, status="resolved", force=True)):
        hub.bus.handle(cmd, admin)
    with hub.engine.connect() as conn:
        types = {e.type for e in hub.store.read_all(conn, 0, 10_000)}
    assert {"TicketCreated", "TicketCorresponded", "TicketCommented", "TicketOwnerChanged",
            "TicketPriorityChanged", "TicketSubjectChanged", "TicketDueChanged",
            "TicketFieldChanged", "TicketWatcherAdded", "TicketLinked", "TimeWorkedRecorded",
            "TicketQueueChanged", "TicketMerged", "TicketMergeAbsorbed",
            "TicketStatusChanged"} <= types
    check_rebuild_is_identical(hub)


@pytest.mark.parametrize("value", ["nan", "inf", 1e309])
def test_number_field_refuses_non_finite_values(any_hub: Hub, value: Any) -> None:
    """NaN/Infinity are not JSON: PostgreSQL rejects the event (a 500), SQLite stores bad JSON.

    A custom field of type number must refuse them as a ValidationError like any other
    bad value, and nothing may be recorded.
    """
    populate(any_hub)
    admin = ACTORS["admin"]
    number = any_hub.bus.handle(tc.CreateTicket(queue="Ops", subject="ratio"), admin)["id"]
    before_head, before = head(any_hub), read_models(any_hub)
    with pytest.raises(DomainError):
        any_hub.bus.handle(tc.UpdateTicket(number, fields={"ratio": value}), admin)
    assert head(any_hub) == before_head
    assert read_models(any_hub) == before


# -- through the real command line -------------------------------------------------------

def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_DATABASE_URL="", HUB_SECRET_KEY="test-secret",
               HUB_MAIL_DOMAIN="hub.test")
    return env


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=cli_env(data_dir),
                          capture_output=True, text=True, timeout=120, check=False)


def some_tickets(hub: Hub, count: int = 3) -> list[int]:
    admin = ACTORS["admin"]
    ids = []
    for i in range(count):
        number = hub.bus.handle(tc.CreateTicket(queue="General", subject=f"Ticket {i}",
                                                requestors=["carl@example.com"]), admin)["id"]
        hub.bus.handle(tc.Correspond(number, f"reply {i}"), admin)
        hub.bus.handle(tc.ChangeWatcher(number, "cc", "cora@example.com"), admin)
        ids.append(number)
    return ids


def test_cli_projections_rebuild_restores_damaged_read_models(hub: Hub) -> None:
    populate(hub)
    ids = some_tickets(hub)
    good = read_models(hub)
    with writing(hub.engine) as conn:  # damage the read models behind the projections' back
        conn.execute(sa.update(tickets).where(tickets.c.id == ids[0]).values(subject="junk"))
        conn.execute(sa.delete(ticket_watchers).where(ticket_watchers.c.ticket_id == ids[1]))
        conn.execute(sa.delete(projection_positions))
    assert read_models(hub) != good
    done = run_cli(hub.settings.data_dir, "projections", "rebuild")
    assert done.returncode == 0, done.stderr
    assert f"from {head(hub)} events" in done.stdout
    assert read_models(hub) == good
    assert_tickets_match_their_streams(hub)

    with writing(hub.engine) as conn:
        conn.execute(sa.delete(tickets))
    one = run_cli(hub.settings.data_dir, "projections", "rebuild", "tickets")
    assert one.returncode == 0, one.stderr
    assert "rebuilt tickets from" in one.stdout
    assert read_models(hub) == good

    bad = run_cli(hub.settings.data_dir, "projections", "rebuild", "nosuch")
    assert bad.returncode != 0
    assert "unknown projection 'nosuch'" in bad.stderr
    assert read_models(hub) == good


def tail_lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_cli_events_tail_no_follow(hub: Hub) -> None:
    some_tickets(hub, 2)
    with hub.engine.connect() as conn:
        stored = hub.store.read_all(conn, 0, 10_000)
    lines = tail_lines(run_cli(hub.settings.data_dir, "events", "tail", "--no-follow",
                               "-n", "4"))
    assert [line["position"] for line in lines] == [e.position for e in stored[-4:]]
    for line, event in zip(lines, stored[-4:], strict=True):
        assert (line["stream"], line["version"], line["type"], line["meta"], line["data"]) == (
            event.stream_id, event.version, event.type, event.meta, event.data)
        assert line["at"] == event.at.isoformat() + "Z"
    after = tail_lines(run_cli(hub.settings.data_dir, "events", "tail", "--no-follow",
                               "--after", str(stored[2].position)))
    assert [line["position"] for line in after] == [e.position for e in stored[3:]]


def test_cli_events_tail_no_follow_shows_all_requested_events(hub: Hub) -> None:
    """``-n 600 --no-follow`` must print 600 events, not stop after one 500-event page."""
    admin = ACTORS["admin"]
    number = hub.bus.handle(tc.CreateTicket(queue="General", subject="chatty"), admin)["id"]
    for i in range(300):
        hub.bus.handle(tc.Comment(number, f"note {i}"), admin)
        hub.bus.handle(tc.RecordTime(number, 1), admin)
    with hub.engine.connect() as conn:
        stored = hub.store.read_all(conn, 0, 10_000)
    assert len(stored) > 600
    lines = tail_lines(run_cli(hub.settings.data_dir, "events", "tail", "--no-follow",
                               "-n", "600"))
    assert [line["position"] for line in lines] == [e.position for e in stored[-600:]]
