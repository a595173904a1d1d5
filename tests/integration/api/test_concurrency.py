"""Many clients changing one ticket at once through the real server: no change is lost.

Each client is a thread with its own ``requests.Session`` and its own token; with
``If-Match`` a client re-reads and retries on 412, so every change the server
accepted (200) must show up in the history exactly once, in contiguous versions.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import hub_support as ROOT
import pytest
import requests

from hub.bootstrap import Hub

CLIENTS = 8
ROUNDS = 6
MAX_ATTEMPTS = 200
T = TypeVar("T")




@dataclass
class Env:
    url: str
    hub: Hub
    admin: str
    clients: list[str]  # one token per client, each of a different staff user


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("concurrency")
    hub = ROOT.make_hub(tmp)
    server_env = {**os.environ, "HUB_DATA_DIR": str(tmp / "var"),
                  "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test",
                  "HUB_DATABASE_URL": ""}
    srv = ROOT.Server(tmp / "var", server_env)
    try:
        srv.start("--no-scheduler", "--no-smtp")
        tokens = []
        for n in range(CLIENTS):
            ROOT.add_user(hub, f"worker{n}", "staff")
            tokens.append(ROOT.make_token(hub, f"worker{n}"))
        yield Env(srv.url, hub, ROOT.make_token(hub, "admin"), tokens)
    finally:
        srv.stop()
        hub.engine.dispose()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _queue_with_fields(env: Env) -> str:
    name = f"Conc{uuid.uuid4().hex[:8]}"
    fields = [{"name": "counter", "type": "integer"},
              *({"name": f"c{n}", "type": "integer"} for n in range(CLIENTS))]
    with requests.Session() as s:
        r = s.post(f"{env.url}/api/v1/queues", headers=_auth(env.admin), timeout=30,
                   json={"name": name, "custom_fields": fields})
    assert r.status_code == 201, r.text
    return name


def _new_ticket(env: Env, queue: str, fields: dict[str, Any]) -> int:
    with requests.Session() as s:
        r = s.post(f"{env.url}/api/v1/tickets", headers=_auth(env.admin), timeout=30,
                   json={"queue": queue, "subject": "contended", "fields": fields})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _history(env: Env, ticket_id: int) -> list[dict[str, Any]]:
    with requests.Session() as s:
        r = s.get(f"{env.url}/api/v1/tickets/{ticket_id}/history", headers=_auth(env.admin),
                  timeout=30)
    assert r.status_code == 200, r.text
    return list(r.json())


def _in_parallel(work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``work(client_number, barrier)`` in CLIENTS threads; re-raise any failure."""
    barrier = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(work, n, barrier) for n in range(CLIENTS)]
        return [f.result(timeout=300) for f in futures]


@dataclass
class Accepted:
    before: int      # the version named in If-Match
    after: int       # the version the 200 answered with
    change: dict[str, int]


def test_if_match_retries_lose_no_change(env: Env) -> None:
    queue = _queue_with_fields(env)
    ticket_id = _new_ticket(env, queue, {"counter": 0})
    url = f"{env.url}/api/v1/tickets/{ticket_id}"

    def client(n: int, barrier: threading.Barrier) -> tuple[list[Accepted], int]:
        accepted: list[Accepted] = []
        retries = 0
        with requests.Session() as s:
            s.headers.update(_auth(env.clients[n]))
            barrier.wait(timeout=60)
            for round_ in range(ROUNDS):
                for _ in range(MAX_ATTEMPTS):
                    got = s.get(url, timeout=60)
                    assert got.status_code == 200, got.text
                    etag = got.headers["ETag"]
                    current = got.json()
                    assert etag == f'"{current["version"]}"'
                    if round_ % 2 == 0:  # a read-modify-write: lost if If-Match failed us
                        change = {"counter": current["fields"]["counter"] + 1}
                    else:                # a field of this client's own
                        change = {f"c{n}": round_}
                    r = s.patch(url, headers={"If-Match": etag}, json={"fields": change},
                                timeout=60)
                    if r.status_code == 200:
                        # the answer is read after the commit: it may already show a
                        # later writer's change, but never an older state
                        assert r.headers["ETag"] == f'"{r.json()["version"]}"'
                        assert r.json()["version"] > current["version"]
                        accepted.append(Accepted(current["version"], r.json()["version"],
                                                 change))
                        break
                    assert r.status_code == 412, (r.status_code, r.text)
                    assert r.json()["version"] > current["version"]
                    retries += 1
                else:
                    pytest.fail(f"client {n} never got a change through")
        return accepted, retries

    results = _in_parallel(client)
    accepted = [a for per_client, _ in results for a in per_client]
    retries = sum(r for _, r in results)
    assert len(accepted) == CLIENTS * ROUNDS

    history = _history(env, ticket_id)
    changes = [e for e in history if e["type"] == "TicketFieldChanged"]
    assert len(changes) == len(accepted)
    assert [e["version"] for e in history] == list(range(1, len(history) + 1))
    assert len(history) == 1 + len(accepted)
    # every accepted change is the event right after the version its If-Match named
    by_version = {e["version"]: e["data"] for e in changes}
    for a in accepted:
        ((name, value),) = a.change.items()
        event = by_version[a.before + 1]
        assert (event["name"], event["new"]) == (name, value), (a, event)
    assert len({a.before for a in accepted}) == len(accepted)
    counter_steps = [(e["data"]["old"], e["data"]["new"]) for e in changes
                     if e["data"]["name"] == "counter"]
    increments = CLIENTS * ((ROUNDS + 1) // 2)
    assert counter_steps == [(k, k + 1) for k in range(increments)]

    with requests.Session() as s:
        final = s.get(f"{env.url}/api/v1/tickets/{ticket_id}", headers=_auth(env.admin),
                      timeout=30)
    assert final.headers["ETag"] == f'"{len(history)}"'
    fields = final.json()["fields"]
    assert fields["counter"] == increments
    last_own_round = max(r for r in range(ROUNDS) if r % 2 == 1)
    assert all(fields[f"c{n}"] == last_own_round for n in range(CLIENTS))
    print(f"{len(accepted)} changes accepted after {retries} retries on 412")


def test_concurrent_patches_without_if_match_keep_every_field(env: Env) -> None:
    """Last-writer-wins is fine per field, but no client's change to its own field is lost."""
    queue = _queue_with_fields(env)
    ticket_id = _new_ticket(env, queue, {})
    url = f"{env.url}/api/v1/tickets/{ticket_id}"

    def client(n: int, barrier: threading.Barrier) -> int:
        with requests.Session() as s:
            s.headers.update(_auth(env.clients[n]))
            barrier.wait(timeout=60)
            for value in range(1, ROUNDS + 1):
                r = s.patch(url, json={"fields": {f"c{n}": value}}, timeout=60)
                assert r.status_code == 200, (r.status_code, r.text)
        return ROUNDS

    assert sum(_in_parallel(client)) == CLIENTS * ROUNDS
    history = _history(env, ticket_id)
    assert [e["version"] for e in history] == list(range(1, CLIENTS * ROUNDS + 2))
    for n in range(CLIENTS):
        mine = [e["data"]["new"] for e in history
                if e["type"] == "TicketFieldChanged" and e["data"]["name"] == f"c{n}"]
        assert mine == list(range(1, ROUNDS + 1))
    with requests.Session() as s:
        final = s.get(url, headers=_auth(env.admin), timeout=30).json()
    assert final["fields"] == {f"c{n}": ROUNDS for n in range(CLIENTS)}


def test_concurrent_retries_with_one_idempotency_key_create_one_ticket(env: Env) -> None:
    queue = _queue_with_fields(env)
    tokens = [ROOT.make_token(env.hub, "worker0") for _ in range(CLIENTS)]  # one caller
    key = uuid.uuid4().hex

    def client(n: int, barrier: threading.Barrier) -> int:
        with requests.Session() as s:
            barrier.wait(timeout=60)
            r = s.post(f"{env.url}/api/v1/tickets", timeout=60,
                       headers={**_auth(tokens[n]), "Idempotency-Key": key},
                       json={"queue": queue, "subject": "sent eight times"})
        assert r.status_code == 201, (r.status_code, r.text)
        return int(r.json()["id"])

    ids = _in_parallel(client)
    assert len(set(ids)) == 1
    with requests.Session() as s:
        listed = s.get(f"{env.url}/api/v1/tickets", headers=_auth(env.admin), timeout=30,
                       params={"queue": queue}).json()
    assert listed["total"] == 1
    assert len(_history(env, ids[0])) == 1


def test_concurrent_replies_all_recorded(env: Env) -> None:
    queue = _queue_with_fields(env)
    ticket_id = _new_ticket(env, queue, {})

    def client(n: int, barrier: threading.Barrier) -> int:
        with requests.Session() as s:
            s.headers.update(_auth(env.clients[n]))
            barrier.wait(timeout=60)
            for k in range(ROUNDS):
                r = s.post(f"{env.url}/api/v1/tickets/{ticket_id}/comment",
                           json={"body": f"note {n}.{k}"}, timeout=60)
                assert r.status_code == 201, (r.status_code, r.text)
                assert int(r.json()["version"]) >= 2
        return ROUNDS

    assert sum(_in_parallel(client)) == CLIENTS * ROUNDS
    history = _history(env, ticket_id)
    assert [e["version"] for e in history] == list(range(1, CLIENTS * ROUNDS + 2))
    bodies = sorted(e["data"]["body"] for e in history if e["type"] == "TicketCommented")
    assert bodies == sorted(f"note {n}.{k}" for n in range(CLIENTS) for k in range(ROUNDS))
