"""The ticket JSON API against a real ``hub serve`` process, spoken to with ``requests``.

One server per module (tests use their own queues so they don't see each other's
tickets); a second server with a tiny body limit checks 413, and a third one is
the fuzzing target so random merges or links cannot disturb the other tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hub_support as ROOT
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.tickets import commands as tc

TICKET_KEYS = {"id", "version", "queue", "subject", "status", "owner", "priority",
               "requestors", "created_at", "updated_at", "fields", "links"}
HISTORY_KEYS = {"position", "version", "type", "actor", "source", "at", "data"}




@dataclass
class Api:
    """A running server, the hub sharing its database, tokens and one HTTP session."""

    url: str
    hub: Hub
    tokens: dict[str, str]
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, who: str | None = "alice", *,
             headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        sent = dict(headers or {})
        if who is not None:
            sent.setdefault("Authorization", f"Bearer {self.tokens[who]}")
        return self.session.request(method, self.url + path, headers=sent, timeout=30, **kw)

    def get(self, path: str, who: str | None = "alice", **kw: Any) -> requests.Response:
        return self.call("GET", path, who, **kw)

    def post(self, path: str, who: str | None = "alice", **kw: Any) -> requests.Response:
        return self.call("POST", path, who, **kw)

    def patch(self, path: str, who: str | None = "alice", **kw: Any) -> requests.Response:
        return self.call("PATCH", path, who, **kw)

    def queue(self, custom_fields: list[dict[str, Any]] | None = None) -> str:
        name = f"Q{uuid.uuid4().hex[:10]}"
        self.hub.bus.handle(tc.CreateQueue(name=name, custom_fields=custom_fields),
                            system_actor("cli"))
        return name

    def ticket(self, queue: str, who: str = "alice", **body: Any) -> dict[str, Any]:
        body = {"subject": "something broke", "body": "details", **body, "queue": queue}
        r = self.post("/api/v1/tickets", who, json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def history(self, ticket_id: int, who: str = "alice") -> list[dict[str, Any]]:
        r = self.get(f"/api/v1/tickets/{ticket_id}/history", who)
        assert r.status_code == 200, r.text
        return list(r.json())


USERS = {"alice": "staff", "bob": "staff", "admin": "admin",
         "carol": "customer", "dave": "customer"}


def _start(tmp: Path, extra_env: dict[str, str] | None = None) -> tuple[Any, Hub]:
    hub = ROOT.make_hub(tmp)
    env = {**os.environ, "HUB_DATA_DIR": str(tmp / "var"), "HUB_SECRET_KEY": "test-secret",
           "HUB_MAIL_DOMAIN": "hub.test", "HUB_DATABASE_URL": "", **(extra_env or {})}
    srv = ROOT.Server(tmp / "var", env)
    try:
        srv.start("--no-scheduler", "--no-smtp")
    except BaseException:
        hub.engine.dispose()
        raise
    return srv, hub


@contextlib.contextmanager
def _api(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[Api]:
    srv, hub = _start(tmp, extra_env)
    try:
        tokens = {}
        for name, role in USERS.items():
            if name != "admin":
                ROOT.add_user(hub, name, role)
            tokens[name] = ROOT.make_token(hub, name)
        api = Api(srv.url, hub, tokens)
        try:
            yield api
        finally:
            api.session.close()
    finally:
        srv.stop()
        hub.engine.dispose()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with _api(tmp_path_factory.mktemp("api")) as started:
        yield started


# -- create, read, as_of ---------------------------------------------------------------


def test_create_answers_201_with_location_and_etag(api: Api) -> None:
    queue = api.queue()
    r = api.post("/api/v1/tickets", json={
        "queue": queue, "subject": "Disk full on web1", "body": "df says 100%",
        "requestors": ["Carol@Example.com"], "priority": 40})
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert set(ticket) >= TICKET_KEYS
    assert r.headers["Location"].endswith(f"/api/v1/tickets/{ticket['id']}")
    assert r.headers["ETag"] == f'"{ticket["version"]}"' == '"1"'
    assert ticket["queue"] == queue and ticket["subject"] == "Disk full on web1"
    assert ticket["status"] == "new" and ticket["owner"] is None and ticket["priority"] == 40
    assert ticket["requestors"] == ["carol@example.com"]
    again = api.get(r.headers["Location"].removeprefix(api.url))
    assert again.status_code == 200
    assert again.headers["ETag"] == '"1"'
    assert again.json() == ticket


def test_get_etag_follows_the_version(api: Api) -> None:
    ticket = api.ticket(api.queue())
    r = api.patch(f"/api/v1/tickets/{ticket['id']}", json={"priority": 5})
    assert r.status_code == 200, r.text
    got = api.get(f"/api/v1/tickets/{ticket['id']}")
    assert got.json()["version"] == 2
    assert got.headers["ETag"] == '"2"'


def test_as_of_position_and_time_show_the_ticket_as_it_was(api: Api) -> None:
    ticket = api.ticket(api.queue())
    tid = ticket["id"]
    time.sleep(0.05)
    assert api.patch(f"/api/v1/tickets/{tid}", json={"status": "open"}).status_code == 200
    time.sleep(0.05)
    assert api.patch(f"/api/v1/tickets/{tid}", json={"status": "stalled"}).status_code == 200
    created, opened, stalled = api.history(tid)
    assert api.get(f"/api/v1/tickets/{tid}").json()["status"] == "stalled"

    by_position = api.get(f"/api/v1/tickets/{tid}", params={"as_of": created["position"]})
    assert by_position.status_code == 200, by_position.text
    assert by_position.json()["status"] == "new"
    assert by_position.json()["version"] == 1
    assert by_position.headers["ETag"] == '"1"'
    mid = api.get(f"/api/v1/tickets/{tid}", params={"as_of": opened["position"]}).json()
    assert (mid["status"], mid["version"]) == ("open", 2)

    by_time = api.get(f"/api/v1/tickets/{tid}", params={"as_of": created["at"]})
    assert by_time.status_code == 200, by_time.text
    assert by_time.json()["status"] == "new"
    offset_time = dt.datetime.fromisoformat(opened["at"].replace("Z", "+00:00")).astimezone(
        dt.timezone(dt.timedelta(hours=2))).isoformat()
    assert api.get(f"/api/v1/tickets/{tid}",
                   params={"as_of": offset_time}).json()["status"] == "open"
    assert api.get(f"/api/v1/tickets/{tid}",
                   params={"as_of": stalled["at"]}).json()["status"] == "stalled"

    before = api.get(f"/api/v1/tickets/{tid}", params={"as_of": "2000-01-01T00:00:00Z"})
    assert before.status_code == 404
    assert "error" in before.json()


# -- PATCH and If-Match ------------------------------------------------------------------


def test_patch_with_if_match_and_412_when_stale(api: Api) -> None:
    tid = api.ticket(api.queue())["id"]
    ok = api.patch(f"/api/v1/tickets/{tid}", headers={"If-Match": '"1"'},
                   json={"status": "open", "priority": 7, "owner": "bob"})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert (body["status"], body["priority"], body["owner"]) == ("open", 7, "bob")
    assert ok.headers["ETag"] == f'"{body["version"]}"'
    version = body["version"]
    assert version == 4  # three changes, three events

    stale = api.patch(f"/api/v1/tickets/{tid}", headers={"If-Match": '"1"'},
                      json={"priority": 9})
    assert stale.status_code == 412, stale.text
    assert stale.json()["version"] == version
    assert "error" in stale.json()
    assert api.get(f"/api/v1/tickets/{tid}").json()["priority"] == 7

    weak = api.patch(f"/api/v1/tickets/{tid}", headers={"If-Match": f'W/"{version}"'},
                     json={"priority": 9})
    assert weak.status_code == 200, weak.text
    assert weak.json()["priority"] == 9


def test_patch_moves_queue_and_sets_fields(api: Api) -> None:
    fields = [{"name": "host", "type": "text"}, {"name": "port", "type": "integer"}]
    source, target = api.queue(fields), api.queue(fields)
    tid = api.ticket(source, fields={"host": "web1"})["id"]
    r = api.patch(f"/api/v1/tickets/{tid}", json={"queue": target, "fields": {"port": "8080"}})
    assert r.status_code == 200, r.text
    assert r.json()["queue"] == target
    assert r.json()["fields"] == {"host": "web1", "port": 8080}


@pytest.mark.parametrize("header", ["abc", '"1", "2"', "-1", '"²"'])
def test_bad_if_match_is_400(api: Api, header: str) -> None:
    tid = api.ticket(api.queue())["id"]
    r = api.patch(f"/api/v1/tickets/{tid}", headers={"If-Match": header}, json={"priority": 1})
    assert r.status_code == 400, (header, r.status_code, r.text)
    assert "error" in r.json()


# -- messages and history ------------------------------------------------------------------


def test_correspond_comment_and_history_shape(api: Api) -> None:
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    reply = api.post(f"/api/v1/tickets/{tid}/correspond", json={"body": "Looking into it"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["status"] == "open"  # a staff reply opens a new ticket (RT)
    assert reply.headers["ETag"] == f'"{reply.json()["version"]}"'
    note = api.post(f"/api/v1/tickets/{tid}/comment", json={"body": "root cause: cron"})
    assert note.status_code == 201, note.text

    history = api.history(tid)
    assert [e["type"] for e in history] == [
        "TicketCreated", "TicketCorresponded", "TicketStatusChanged", "TicketCommented"]
    for entry in history:
        assert set(entry) >= HISTORY_KEYS
        assert entry["source"] == "api" and entry["actor"] == "alice"
        assert isinstance(entry["data"], dict)
        dt.datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    assert [e["version"] for e in history] == [1, 2, 3, 4]
    positions = [e["position"] for e in history]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert history[1]["data"]["body"] == "Looking into it"
    assert history[3]["data"]["body"] == "root cause: cron"
    assert history[2]["data"]["new"] == "open"


@pytest.mark.parametrize("kind", ["correspond", "comment"])
def test_message_needs_a_body(api: Api, kind: str) -> None:
    tid = api.ticket(api.queue())["id"]
    assert api.post(f"/api/v1/tickets/{tid}/{kind}", json={"body": "   "}).status_code == 422
    assert api.post(f"/api/v1/tickets/{tid}/{kind}", json={"body": 3}).status_code == 400
    assert api.post(f"/api/v1/tickets/{tid}/{kind}", json={}).status_code == 400


# -- list ----------------------------------------------------------------------------------


def _ids(r: requests.Response) -> list[int]:
    assert r.status_code == 200, r.text
    return sorted(t["id"] for t in r.json()["tickets"])


def test_list_filters_and_total(api: Api) -> None:
    queue = api.queue()
    disk = api.ticket(queue, subject="Disk full on web1", requestors=["carol@example.com"])
    jam = api.ticket(queue, subject="Printer jam", requestors=["dave@example.com"],
                     owner="bob")
    done = api.ticket(queue, subject="Old thing", requestors=["dave@example.com"],
                      status="resolved")
    api.ticket(api.queue(), subject="Disk full elsewhere")  # another queue
    assert api.post(f"/api/v1/tickets/{done['id']}/correspond",
                    json={"body": "the zebrafish answer"}).status_code == 201

    everything = api.get("/api/v1/tickets", params={"queue": queue})
    assert everything.json()["total"] == 3
    assert _ids(everything) == [disk["id"], jam["id"], done["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue.lower()})) == _ids(everything)
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "status": "new"})) == [
        disk["id"], jam["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "status": "resolved,open"})
                ) == [done["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "owner": "bob"})) == [
        jam["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "owner": ""})) == [
        disk["id"], done["id"]]
    assert _ids(api.get("/api/v1/tickets",
                        params={"queue": queue, "requestor": "dave@example.com"})) == [
        jam["id"], done["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "q": "disk"})) == [
        disk["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "q": "Zebrafish"})) == [
        done["id"]]
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue, "q": "disk printer"})) == []

    first = api.get("/api/v1/tickets", params={"queue": queue, "limit": 1}).json()
    second = api.get("/api/v1/tickets", params={"queue": queue, "limit": 1, "offset": 1}).json()
    assert first["total"] == second["total"] == 3
    assert len(first["tickets"]) == len(second["tickets"]) == 1
    assert first["tickets"][0]["id"] != second["tickets"][0]["id"]
    beyond = api.get("/api/v1/tickets", params={"queue": queue, "offset": 10}).json()
    assert beyond == {"tickets": [], "total": 3}
    for ticket in everything.json()["tickets"]:
        assert set(ticket) >= TICKET_KEYS


def test_list_limit_defaults_to_50(api: Api) -> None:
    queue = api.queue()
    for n in range(51):
        api.hub.bus.handle(tc.CreateTicket(queue=queue, subject=f"bulk {n}"),
                           system_actor("cli"))
    page = api.get("/api/v1/tickets", params={"queue": queue}).json()
    assert page["total"] == 51 and len(page["tickets"]) == 50
    assert len(api.get("/api/v1/tickets", params={"queue": queue, "limit": 1000}
                       ).json()["tickets"]) == 51


# -- merge, links, owner, watchers, time, queues --------------------------------------------


def test_merged_ticket_number_resolves_to_the_survivor(api: Api) -> None:
    queue = api.queue()
    old = api.ticket(queue, subject="first report", requestors=["carol@example.com"])
    survivor = api.ticket(queue, subject="second report", requestors=["dave@example.com"])
    r = api.post(f"/api/v1/tickets/{old['id']}/merge", json={"into": survivor["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == survivor["id"]

    via_old = api.get(f"/api/v1/tickets/{old['id']}")
    assert via_old.status_code == 200
    assert via_old.json()["id"] == survivor["id"]
    assert via_old.json()["requestors"] == ["dave@example.com", "carol@example.com"]
    assert via_old.json()["merged_from"] == [old["id"]]
    # the old requestor now sees the survivor
    assert api.get(f"/api/v1/tickets/{old['id']}", "carol").json()["id"] == survivor["id"]
    history = api.history(old["id"])
    assert {e["ticket_id"] for e in history} == {old["id"], survivor["id"]}
    assert [e["position"] for e in history] == sorted(e["position"] for e in history)
    assert _ids(api.get("/api/v1/tickets", params={"queue": queue})) == [survivor["id"]]

    reply = api.post(f"/api/v1/tickets/{old['id']}/correspond", json={"body": "merged"})
    assert reply.status_code == 201 and reply.json()["id"] == survivor["id"]
    again = api.post(f"/api/v1/tickets/{old['id']}/merge", json={"into": survivor["id"]})
    assert again.status_code in (409, 422), again.text
    assert api.post(f"/api/v1/tickets/{survivor['id']}/merge",
                    json={"into": 999_999}).status_code == 404
    assert api.post(f"/api/v1/tickets/{survivor['id']}/merge",
                    json={"into": "x"}).status_code == 400


def test_open_dependency_blocks_resolving_unless_forced(api: Api) -> None:
    queue = api.queue()
    parent, blocker = api.ticket(queue)["id"], api.ticket(queue)["id"]
    r = api.post(f"/api/v1/tickets/{parent}/links", json={"kind": "depends_on",
                                                          "target": blocker})
    assert r.status_code == 200, r.text
    assert r.json()["links"] == {"depends_on": [blocker]}
    assert api.get(f"/api/v1/tickets/{blocker}").json()["links"] == {
        "depended_on_by": [parent]}

    refused = api.patch(f"/api/v1/tickets/{parent}", json={"status": "resolved"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["depends_on"] == [blocker]
    assert api.get(f"/api/v1/tickets/{parent}").json()["status"] == "new"

    forced = api.patch(f"/api/v1/tickets/{parent}", json={"status": "resolved", "force": True})
    assert forced.status_code == 200, forced.text
    assert forced.json()["status"] == "resolved"

    other = api.ticket(queue)["id"]
    api.post(f"/api/v1/tickets/{other}/links", json={"kind": "depends_on", "target": blocker})
    api.patch(f"/api/v1/tickets/{blocker}", json={"status": "resolved"})
    assert api.patch(f"/api/v1/tickets/{other}", json={"status": "resolved"}).status_code == 200


def test_force_must_be_a_boolean(api: Api) -> None:
    """``"force": "no"`` is a wrong type; it must not silently mean True."""
    queue = api.queue()
    parent, blocker = api.ticket(queue)["id"], api.ticket(queue)["id"]
    api.post(f"/api/v1/tickets/{parent}/links", json={"kind": "depends_on", "target": blocker})
    r = api.patch(f"/api/v1/tickets/{parent}", json={"status": "resolved", "force": "no"})
    assert r.status_code == 400, r.text
    assert api.get(f"/api/v1/tickets/{parent}").json()["status"] == "new"


def test_link_errors(api: Api) -> None:
    queue = api.queue()
    a, b = api.ticket(queue)["id"], api.ticket(queue)["id"]
    assert api.post(f"/api/v1/tickets/{a}/links",
                    json={"kind": "likes", "target": b}).status_code == 422
    assert api.post(f"/api/v1/tickets/{a}/links",
                    json={"kind": "refers_to", "target": a}).status_code == 422
    assert api.post(f"/api/v1/tickets/{a}/links",
                    json={"kind": "refers_to", "target": 999_999}).status_code == 404
    assert api.post(f"/api/v1/tickets/{a}/links",
                    json={"kind": "refers_to", "target": True}).status_code == 400
    api.post(f"/api/v1/tickets/{a}/links", json={"kind": "refers_to", "target": b})
    removed = api.post(f"/api/v1/tickets/{a}/links",
                       json={"kind": "refers_to", "target": b, "remove": True})
    assert removed.status_code == 200 and removed.json()["links"] == {}
    assert api.get(f"/api/v1/tickets/{b}").json()["links"] == {}


def test_owner_take_steal_untake_assign(api: Api) -> None:
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    path = f"/api/v1/tickets/{tid}/owner"
    assert api.post(path, json={"action": "take"}).json()["owner"] == "alice"
    assert api.post(path, "bob", json={"action": "steal"}).json()["owner"] == "bob"
    assert api.post(path, "bob", json={"action": "untake"}).json()["owner"] is None
    assert api.post(path, json={"action": "assign", "owner": "bob"}).json()["owner"] == "bob"
    assert api.post(path, json={"action": "assign", "owner": "carol"}).status_code == 422
    assert api.post(path, json={"action": "assign", "owner": "nobody-x"}).status_code == 422
    assert api.post(path, json={"action": "grab"}).status_code == 400
    assert api.post(path, "carol", json={"action": "take"}).status_code == 403
    types = [e["type"] for e in api.history(tid)]
    assert types.count("TicketOwnerChanged") == 4


def test_watchers_grant_and_remove_customer_access(api: Api) -> None:
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    path = f"/api/v1/tickets/{tid}/watchers"
    assert api.get(f"/api/v1/tickets/{tid}", "dave").status_code == 404
    added = api.post(path, json={"role": "cc", "address": "Dave@example.com"})
    assert added.status_code == 200, added.text
    assert added.json()["cc"] == ["dave@example.com"]
    assert api.get(f"/api/v1/tickets/{tid}", "dave").status_code == 200
    assert api.post(path, json={"role": "boss", "address": "x@example.com"}).status_code == 422
    assert api.post(path, json={"role": "cc", "address": "not an address"}).status_code == 422
    assert api.post(path, "carol", json={"role": "cc", "address": "e@x.org"}).status_code == 403
    api.post(path, json={"role": "cc", "address": "dave@example.com", "remove": True})
    assert api.get(f"/api/v1/tickets/{tid}", "dave").status_code == 404


def test_time_worked(api: Api) -> None:
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    path = f"/api/v1/tickets/{tid}/time"
    r = api.post(path, json={"minutes": 30})
    assert r.status_code == 200, r.text
    assert api.post(path, "bob", json={"minutes": 15}).json()["time_worked"] == {
        "alice": 30, "bob": 15}
    assert api.get(f"/api/v1/tickets/{tid}").json()["time_worked_total"] == 45
    assert api.post(path, json={"minutes": 0}).status_code == 422
    assert api.post(path, json={"minutes": "5"}).status_code == 400
    assert api.post(path, "carol", json={"minutes": 5}).status_code == 403
    assert "time_worked" not in api.get(f"/api/v1/tickets/{tid}", "carol").json()


@pytest.mark.parametrize("user", [{"a": 1}, [1]])
def test_time_worked_user_of_wrong_type_is_not_500(api: Api, user: Any) -> None:
    tid = api.ticket(api.queue())["id"]
    r = api.post(f"/api/v1/tickets/{tid}/time", json={"minutes": 5, "user": user})
    assert r.status_code in (400, 422), r.text


def test_queues_list_and_create(api: Api) -> None:
    listed = api.get("/api/v1/queues").json()["queues"]
    assert "General" in {q["name"] for q in listed}
    name = f"Net{uuid.uuid4().hex[:6]}"
    spec = {"name": name, "custom_fields": [{"name": "site", "type": "select",
                                             "values": ["ams", "fra"]}]}
    assert api.post("/api/v1/queues", "alice", json=spec).status_code == 403
    created = api.post("/api/v1/queues", "admin", json=spec)
    assert created.status_code == 201, created.text
    assert api.post("/api/v1/queues", "admin", json=spec).status_code == 409
    assert api.post("/api/v1/queues", "admin", json={"name": "9 bad"}).status_code == 422
    mine = [q for q in api.get("/api/v1/queues").json()["queues"] if q["name"] == name]
    assert mine and mine[0]["custom_fields"][0]["values"] == ["ams", "fra"]
    assert api.ticket(name, fields={"site": "ams"})["fields"] == {"site": "ams"}


@pytest.mark.parametrize("body", [
    {},
    {"name": 5},
    {"name": "Qbadfields", "custom_fields": 5},
    {"name": "Qbadmax", "custom_fields": [{"name": "x", "max_length": "long"}]},
    {"name": "Qbadvalues", "custom_fields": [{"name": "x", "type": "select", "values": 3}]},
])
def test_create_queue_with_wrong_types_is_4xx_not_500(api: Api, body: dict[str, Any]) -> None:
    r = api.post("/api/v1/queues", "admin", json=body)
    assert r.status_code in (400, 422), (body, r.status_code, r.text)


# -- idempotency ---------------------------------------------------------------------------


def test_idempotency_key_replay_creates_one_ticket(api: Api) -> None:
    queue = api.queue()
    body = {"queue": queue, "subject": "once only", "body": "x"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/api/v1/tickets", json=body, headers=key)
    second = api.post("/api/v1/tickets", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Location"] == first.headers["Location"]
    assert api.get("/api/v1/tickets", params={"queue": queue}).json()["total"] == 1
    assert len(api.history(first.json()["id"])) == 1
    other = api.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "another"})
    assert other.json()["id"] != first.json()["id"]
    # the key is per caller: bob's identical key is his own request
    bob = api.post("/api/v1/tickets", "bob", json=body, headers=key)
    assert bob.status_code == 201 and bob.json()["id"] != first.json()["id"]
    assert api.get("/api/v1/tickets", params={"queue": queue}).json()["total"] == 3


def test_idempotency_key_replay_on_correspond(api: Api) -> None:
    tid = api.ticket(api.queue())["id"]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    for _ in range(3):
        r = api.post(f"/api/v1/tickets/{tid}/correspond", json={"body": "hi"}, headers=key)
        assert r.status_code == 201
    assert [e["type"] for e in api.history(tid)].count("TicketCorresponded") == 1
    assert api.post("/api/v1/tickets", json={"queue": "General", "subject": "s"},
                    headers={"Idempotency-Key": "k" * 201}).status_code == 400


# -- every error code ----------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    b"{not json", b"[1, 2]", b'"just a string"', b"", b"\xff\xfe{}", b"null",
    b'{"queue": "General", "subject": "s"',
])
def test_malformed_json_is_400(api: Api, raw: bytes) -> None:
    r = api.post("/api/v1/tickets", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (raw, r.status_code, r.text)
    assert "error" in r.json()


def test_non_standard_json_constants_are_rejected(api: Api) -> None:
    """NaN is not JSON (RFC 8259); stored, it makes every later GET emit invalid JSON."""
    queue = api.queue([{"name": "load", "type": "number"}])
    raw = json.dumps({"queue": queue, "subject": "s", "fields": {"load": float("nan")}})
    r = api.post("/api/v1/tickets", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422), (r.status_code, r.text)


@pytest.mark.parametrize("body", [
    {"queue": "General", "subject": 5},
    {"queue": ["General"], "subject": "s"},
    {"queue": "General", "subject": "s", "fields": ["a"]},
    {"queue": "General", "subject": "s", "colour": "red"},
])
def test_create_with_wrong_types_or_unknown_fields_is_400(api: Api,
                                                          body: dict[str, Any]) -> None:
    r = api.post("/api/v1/tickets", json=body)
    assert r.status_code == 400, r.text
    assert "error" in r.json()


@pytest.mark.parametrize("body", [
    {"status": 3}, {"owner": 7}, {"fields": "x"}, {"queue": None}, {"colour": "red"},
])
def test_patch_with_wrong_types_or_unknown_fields_is_400(api: Api,
                                                         body: dict[str, Any]) -> None:
    tid = api.ticket(api.queue())["id"]
    r = api.patch(f"/api/v1/tickets/{tid}", json=body)
    assert r.status_code == 400, (body, r.text)
    assert api.get(f"/api/v1/tickets/{tid}").json()["version"] == 1


def test_401_without_or_with_a_bad_token(api: Api) -> None:
    tid = api.ticket("General")["id"]
    for headers in ({}, {"Authorization": "Bearer hub_nope_nope"},
                    {"Authorization": "Bearer " + api.tokens["alice"] + "x"},
                    {"Authorization": "Basic YWxpY2U6cGFzc3dvcmQxMjM="},
                    {"Authorization": "Bearer"}):
        for method, path in (("GET", f"/api/v1/tickets/{tid}"), ("GET", "/api/v1/tickets"),
                             ("POST", "/api/v1/tickets"), ("PATCH", f"/api/v1/tickets/{tid}"),
                             ("GET", f"/api/v1/tickets/{tid}/history")):
            r = api.call(method, path, None, headers=headers, json={"subject": "x"})
            assert r.status_code == 401, (headers, path, r.status_code)
            assert "error" in r.json()
            assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer")


def test_401_with_a_revoked_token_or_disabled_user(api: Api) -> None:
    ROOT.add_user(api.hub, "erin", "staff")
    token = ROOT.make_token(api.hub, "erin")
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/tickets", None, headers=auth).status_code == 200
    token_id = token.split("_")[1]
    api.hub.bus.handle(ac.RevokeToken(user="erin", token_id=token_id), system_actor("cli"))
    assert api.get("/api/v1/tickets", None, headers=auth).status_code == 401

    ROOT.add_user(api.hub, "fred", "staff")
    fred = {"Authorization": f"Bearer {ROOT.make_token(api.hub, 'fred')}"}
    assert api.get("/api/v1/tickets", None, headers=fred).status_code == 200
    api.hub.bus.handle(ac.ChangeUser(name="fred", disabled=True), system_actor("cli"))
    assert api.get("/api/v1/tickets", None, headers=fred).status_code == 401


def test_403_for_customer_deleting_commenting_or_modifying(api: Api) -> None:
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    deleting = api.patch(f"/api/v1/tickets/{tid}", "carol", json={"status": "deleted"})
    assert deleting.status_code == 403, deleting.text
    assert "error" in deleting.json()
    assert api.post(f"/api/v1/tickets/{tid}/comment", "carol",
                    json={"body": "psst"}).status_code == 403
    assert api.patch(f"/api/v1/tickets/{tid}", "carol", json={"priority": 99}).status_code == 403
    assert api.patch(f"/api/v1/tickets/{tid}", "carol", json={"owner": "bob"}).status_code == 403
    assert api.get(f"/api/v1/tickets/{tid}").json()["version"] == 1
    # what a requestor may do: reply, and resolve their own ticket
    assert api.post(f"/api/v1/tickets/{tid}/correspond", "carol",
                    json={"body": "any news?"}).status_code == 201
    resolved = api.patch(f"/api/v1/tickets/{tid}", "carol", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text


def test_404s(api: Api) -> None:
    for method, path, body in (("GET", "/api/v1/tickets/999999", None),
                               ("PATCH", "/api/v1/tickets/999999", {"priority": 1}),
                               ("GET", "/api/v1/tickets/999999/history", None),
                               ("POST", "/api/v1/tickets/999999/correspond", {"body": "x"}),
                               ("POST", "/api/v1/tickets/999999/comment", {"body": "x"}),
                               ("POST", "/api/v1/tickets/999999/time", {"minutes": 1}),
                               ("GET", "/api/v1/no-such-thing", None),
                               ("POST", "/api/v1/tickets/1/nothing-here", {}),
                               ("GET", "/api/v2/tickets", None)):
        r = api.call(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code)
        assert "error" in r.json()
    r = api.post("/api/v1/tickets", json={"queue": "NoSuchQueue", "subject": "s"})
    assert r.status_code == 404


def test_404_for_customer_on_another_customers_ticket(api: Api) -> None:
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    assert api.get(f"/api/v1/tickets/{tid}", "dave").status_code == 404
    assert api.get(f"/api/v1/tickets/{tid}/history", "dave").status_code == 404
    assert api.get(f"/api/v1/tickets/{tid}", "dave",
                   params={"as_of": "1"}).status_code == 404


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("PATCH", "", {"status": "resolved"}),
    ("POST", "/correspond", {"body": "hello?"}),
    ("POST", "/comment", {"body": "hello?"}),
])
def test_customer_writing_to_a_hidden_ticket_gets_404_like_an_unknown_one(
        api: Api, method: str, suffix: str, body: dict[str, Any]) -> None:
    """A 403 here would tell a customer which ticket numbers exist (GET already hides it)."""
    tid = api.ticket(api.queue(), requestors=["carol@example.com"])["id"]
    unknown = api.call(method, f"/api/v1/tickets/999999{suffix}", "dave", json=body)
    hidden = api.call(method, f"/api/v1/tickets/{tid}{suffix}", "dave", json=body)
    assert unknown.status_code == 404
    assert hidden.status_code == 404, (hidden.status_code, hidden.text)
    assert api.get(f"/api/v1/tickets/{tid}").json()["version"] == 1


def test_405_is_json(api: Api) -> None:
    r = api.call("DELETE", "/api/v1/tickets/1")
    assert r.status_code == 405
    assert "error" in r.json()


def test_409_for_state_conflicts(api: Api) -> None:
    queue = api.queue()
    parent, blocker = api.ticket(queue)["id"], api.ticket(queue)["id"]
    api.post(f"/api/v1/tickets/{parent}/links", json={"kind": "depends_on", "target": blocker})
    r = api.patch(f"/api/v1/tickets/{parent}", json={"status": "resolved"})
    assert r.status_code == 409
    assert "error" in r.json()
    assert api.post("/api/v1/queues", "admin", json={"name": queue}).status_code == 409


def test_413_when_the_body_is_over_the_limit(tmp_path: Path) -> None:
    with _api(tmp_path, {"HUB_MAX_BODY_BYTES": "2048"}) as small:
        ok = small.post("/api/v1/tickets", json={"queue": "General", "subject": "fits",
                                                 "body": "x" * 1000})
        assert ok.status_code == 201, ok.text
        big = small.post("/api/v1/tickets", json={"queue": "General", "subject": "too big",
                                                  "body": "x" * 5000})
        assert big.status_code == 413, big.text
        assert "error" in big.json()
        tid = ok.json()["id"]
        reply = small.post(f"/api/v1/tickets/{tid}/correspond", json={"body": "y" * 5000})
        assert reply.status_code == 413
        assert small.get("/api/v1/tickets", params={"queue": "General"}).json()["total"] == 1


@pytest.mark.parametrize("body", [
    {"priority": 150}, {"priority": -1}, {"priority": "high"}, {"priority": 2.5},
    {"status": "frozen"}, {"requestors": ["not-an-address"]}, {"requestors": 5},
    {"fields": {"port": "eighty"}}, {"fields": {"site": "mars"}}, {"fields": {"nope": 1}},
    {"fields": {"addr": "999.1.1.1"}}, {"due": "next tuesday"}, {"owner": "carol"},
    {"subject": "   "},
])
def test_422_on_create(api: Api, body: dict[str, Any]) -> None:
    queue = api.queue([{"name": "port", "type": "integer"}, {"name": "addr", "type": "ip"},
                       {"name": "site", "type": "select", "values": ["ams", "fra"]}])
    r = api.post("/api/v1/tickets", json={"queue": queue, "subject": "s", **body})
    assert r.status_code == 422, (body, r.status_code, r.text)
    assert "error" in r.json()
    assert api.get("/api/v1/tickets", params={"queue": queue}).json()["total"] == 0


@pytest.mark.parametrize("body", [
    {"priority": 150}, {"status": "frozen"}, {"fields": {"port": [1, 2]}},
    {"owner": "nobody-at-all"}, {"subject": ""},
])
def test_422_on_patch(api: Api, body: dict[str, Any]) -> None:
    queue = api.queue([{"name": "port", "type": "integer"}])
    tid = api.ticket(queue)["id"]
    r = api.patch(f"/api/v1/tickets/{tid}", json=body)
    assert r.status_code == 422, (body, r.status_code, r.text)
    assert api.get(f"/api/v1/tickets/{tid}").json()["version"] == 1


def test_patch_is_atomic(api: Api) -> None:
    """A PATCH whose last part is invalid changes nothing at all."""
    tid = api.ticket(api.queue())["id"]
    r = api.patch(f"/api/v1/tickets/{tid}", json={"priority": 50, "status": "frozen"})
    assert r.status_code == 422
    assert api.get(f"/api/v1/tickets/{tid}").json()["priority"] == 0


@pytest.mark.parametrize("params", [
    {"limit": 5000}, {"limit": 0}, {"limit": "many"}, {"offset": -1}, {"offset": "x"},
])
def test_422_on_list_parameters(api: Api, params: dict[str, Any]) -> None:
    r = api.get("/api/v1/tickets", params=params)
    assert r.status_code == 422, (params, r.text)
    assert "error" in r.json()


@pytest.mark.parametrize("as_of", ["yesterday", "2024-13-45T00:00:00", "-5"])
def test_422_on_bad_as_of(api: Api, as_of: str) -> None:
    tid = api.ticket(api.queue())["id"]
    r = api.get(f"/api/v1/tickets/{tid}", params={"as_of": as_of})
    assert r.status_code == 422, (as_of, r.status_code, r.text)


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/tickets/{tid}", {"as_of": "²"}),
    ("/api/v1/tickets/{tid}", {"as_of": "9" * 30}),
    ("/api/v1/tickets/" + "9" * 30, {}),
    ("/api/v1/tickets/" + "9" * 30 + "/history", {}),
    ("/api/v1/tickets", {"offset": "9" * 30}),
])
def test_out_of_range_numbers_are_4xx_not_500(api: Api, path: str,
                                              params: dict[str, str]) -> None:
    tid = api.ticket(api.queue())["id"]
    r = api.get(path.format(tid=tid), params=params)
    assert 400 <= r.status_code < 500, (path, params, r.status_code, r.text)


# -- customer isolation --------------------------------------------------------------------


def test_customer_sees_only_tickets_where_they_are_requestor_or_cc(api: Api) -> None:
    queue = api.queue()
    own = api.ticket(queue, requestors=["carol@example.com"])["id"]
    cc = api.ticket(queue, requestors=["dave@example.com"], cc=["carol@example.com"])["id"]
    foreign = api.ticket(queue, requestors=["dave@example.com"])["id"]
    admincc = api.ticket(queue, requestors=["x@example.org"], admincc=["carol@example.com"])["id"]

    assert api.get(f"/api/v1/tickets/{own}", "carol").status_code == 200
    assert api.get(f"/api/v1/tickets/{cc}", "carol").status_code == 200
    assert api.get(f"/api/v1/tickets/{foreign}", "carol").status_code == 404
    assert api.get(f"/api/v1/tickets/{admincc}", "carol").status_code == 404
    listed = api.get("/api/v1/tickets", "carol", params={"queue": queue})
    assert _ids(listed) == [own, cc] and listed.json()["total"] == 2
    assert _ids(api.get("/api/v1/tickets", "dave", params={"queue": queue})) == [cc, foreign]
    assert _ids(api.get("/api/v1/tickets", "carol",
                        params={"queue": queue, "requestor": "dave@example.com"})) == [cc]
    assert api.get(f"/api/v1/tickets/{foreign}/history", "carol").status_code == 404
    assert api.get(f"/api/v1/tickets/{cc}/history", "carol").status_code == 200


def test_customer_history_hides_comments_time_and_internal_data(api: Api) -> None:
    queue = api.queue([{"name": "public_note", "type": "text"},
                       {"name": "root_pw_hint", "type": "text", "internal": True}])
    tid = api.ticket(queue, requestors=["carol@example.com"], admincc=["secret-boss@corp.example"],
                     fields={"public_note": "hello", "root_pw_hint": "hunter2"})["id"]
    api.post(f"/api/v1/tickets/{tid}/comment", json={"body": "internal: customer is wrong"})
    api.post(f"/api/v1/tickets/{tid}/time", json={"minutes": 20})
    api.post(f"/api/v1/tickets/{tid}/correspond", json={"body": "public answer"})
    api.patch(f"/api/v1/tickets/{tid}", json={"fields": {"root_pw_hint": "swordfish"}})

    staff_view = api.history(tid)
    assert {"TicketCommented", "TimeWorkedRecorded"} <= {e["type"] for e in staff_view}
    customer_view = api.history(tid, "carol")
    types = [e["type"] for e in customer_view]
    assert "TicketCommented" not in types and "TimeWorkedRecorded" not in types
    assert "TicketCorresponded" in types and types[0] == "TicketCreated"
    text = json.dumps(customer_view)
    assert "customer is wrong" not in text
    assert "swordfish" not in text

    ticket = api.get(f"/api/v1/tickets/{tid}", "carol").json()
    assert "root_pw_hint" not in ticket["fields"] and ticket["fields"]["public_note"] == "hello"
    assert "secret-boss" not in json.dumps(ticket)


def test_customer_history_does_not_leak_admincc_or_internal_fields_at_creation(api: Api) -> None:
    """The TicketCreated entry carries admincc and internal field values: hide them."""
    queue = api.queue([{"name": "root_pw_hint", "type": "text", "internal": True}])
    tid = api.ticket(queue, requestors=["carol@example.com"], admincc=["secret-boss@corp.example"],
                     fields={"root_pw_hint": "hunter2"})["id"]
    text = json.dumps(api.history(tid, "carol"))
    assert "hunter2" not in text
    assert "secret-boss" not in text


def test_customer_creating_a_ticket_for_someone_else(api: Api) -> None:
    """A successful create must not answer 404 (a retrying client would file duplicates)."""
    queue = api.queue()
    r = api.post("/api/v1/tickets", "carol",
                 json={"queue": queue, "subject": "on behalf", "requestors": ["dave@x.org"]})
    assert r.status_code in (201, 403, 422), (r.status_code, r.text)
    if r.status_code == 201:
        assert api.get(f"/api/v1/tickets/{r.json()['id']}", "carol").status_code == 200
    else:
        assert api.get("/api/v1/tickets", params={"queue": queue}).json()["total"] == 0


def test_customer_creates_and_sees_own_ticket(api: Api) -> None:
    queue = api.queue()
    r = api.post("/api/v1/tickets", "carol", json={"queue": queue, "subject": "help me"})
    assert r.status_code == 201, r.text
    assert r.json()["requestors"] == ["carol@example.com"]
    assert "admincc" not in r.json()
    assert _ids(api.get("/api/v1/tickets", "carol", params={"queue": queue})) == [r.json()["id"]]


# -- no 500 on any malformed input ---------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, list[int]]]:
    """A server of its own: random bodies may merge, link or re-queue its tickets."""
    with _api(tmp_path_factory.mktemp("fuzz")) as target:
        queue = target.queue([{"name": "n", "type": "integer"},
                              {"name": "s", "type": "select", "values": ["a", "b"]},
                              {"name": "ip", "type": "ip"}, {"name": "d", "type": "date"},
                              {"name": "m", "type": "multiselect", "values": ["a", "b"]}])
        ids = [target.ticket(queue, requestors=["carol@example.com"])["id"] for _ in range(3)]
        yield target, ids


JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
                | st.sampled_from(["", "General", "resolved", "deleted", "alice", "carol",
                                   "a@b.c", "take", "cc", "depends_on", "1", "²", "9" * 25]))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=8)
ENDPOINT_KEYS = {
    ("POST", "/api/v1/tickets"): ["queue", "subject", "body", "requestors", "priority",
                                  "fields", "cc", "admincc", "due", "owner", "status"],
    ("PATCH", "/api/v1/tickets/{id}"): ["status", "owner", "priority", "queue", "fields",
                                        "subject", "due", "force"],
    ("POST", "/api/v1/tickets/{id}/correspond"): ["body"],
    ("POST", "/api/v1/tickets/{id}/comment"): ["body"],
    ("POST", "/api/v1/tickets/{id}/owner"): ["action", "owner"],
    ("POST", "/api/v1/tickets/{id}/watchers"): ["role", "address", "remove"],
    ("POST", "/api/v1/tickets/{id}/links"): ["kind", "target", "remove"],
    ("POST", "/api/v1/tickets/{id}/merge"): ["into"],
    ("POST", "/api/v1/tickets/{id}/time"): ["minutes", "user"],
    ("POST", "/api/v1/queues"): ["name", "description", "address", "comment_address",
                                 "lifecycle", "custom_fields", "reopen_policy",
                                 "customers_may_create"],
}
FIELD_VALUES = st.dictionaries(st.sampled_from(["n", "s", "ip", "d", "m", "zz"]), JSON_VALUES,
                               max_size=3)


@st.composite
def json_requests(draw: st.DrawFn) -> tuple[str, str, Any]:
    method, path = draw(st.sampled_from(sorted(ENDPOINT_KEYS)))
    keys = ENDPOINT_KEYS[(method, path)]
    shaped = st.fixed_dictionaries({}, optional={
        k: (FIELD_VALUES | JSON_VALUES) if k == "fields" else JSON_VALUES for k in keys})
    body = draw(shaped | JSON_VALUES)
    return method, path, body


def _fill(path: str, ids: list[int], pick: int) -> str:
    return path.replace("{id}", str(ids[pick % len(ids)]))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=json_requests(), who=st.sampled_from(["alice", "admin", "carol"]),
       pick=st.integers(0, 2))
def test_fuzz_json_bodies_never_500(fuzz: tuple[Api, list[int]], request: tuple[str, str, Any],
                                    who: str, pick: int) -> None:
    target, ids = fuzz
    method, path, body = request
    raw = json.dumps(body, allow_nan=True)  # NaN/Infinity too: they must not crash anything
    r = target.call(method, _fill(path, ids, pick), who, data=raw,
                    headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (method, path, who, raw, r.status_code, r.text)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=st.sampled_from(sorted(ENDPOINT_KEYS)), raw=st.binary(max_size=64),
       pick=st.integers(0, 2))
def test_fuzz_random_bytes_never_500(fuzz: tuple[Api, list[int]],
                                     endpoint: tuple[str, str], raw: bytes, pick: int) -> None:
    target, ids = fuzz
    method, path = endpoint
    r = target.call(method, _fill(path, ids, pick), "admin", data=raw,
                    headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (method, path, raw, r.status_code, r.text)


QUERY_TEXT = st.text(max_size=12) | st.sampled_from(["", "0", "-1", "5000", "9" * 25, "²",
                                                     "2024-01-01T00:00:00Z", "new,open"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=st.dictionaries(st.sampled_from(["queue", "status", "owner", "requestor", "q",
                                               "limit", "offset", "order", "as_of"]),
                              QUERY_TEXT, max_size=4),
       path=st.sampled_from(["/api/v1/tickets", "/api/v1/tickets/{id}",
                             "/api/v1/tickets/{id}/history", "/api/v1/queues"]),
       who=st.sampled_from(["alice", "carol"]), if_match=st.none() | QUERY_TEXT)
def test_fuzz_query_strings_never_500(fuzz: tuple[Api, list[int]], params: dict[str, str],
                                      path: str, who: str, if_match: str | None) -> None:
    target, ids = fuzz
    r = target.get(_fill(path, ids, 0), who, params=params)
    assert r.status_code < 500, (path, params, r.status_code, r.text)
    if if_match is not None and if_match.isprintable() and if_match.isascii():
        p = target.patch(_fill("/api/v1/tickets/{id}", ids, 1), who,
                         headers={"If-Match": if_match.strip()}, json={})
        assert p.status_code < 500, (if_match, p.status_code, p.text)
