"""Three nodes behind HAProxy on one PostgreSQL, started by the documented example
(``contrib/cluster/run-three-nodes.sh``, docs/cluster.md) and used from outside.

One cluster serves the whole module; the node-killing test runs last. Through
HAProxy, requests land on every node; mail through every node's SMTP port (and
HAProxy's) becomes one ticket per message with one autoreply each in the shared
smarthost sink; a word written through one node is found through every node; the
scheduler runs on one node. Then the node leading the notifier is SIGKILLed while
clients keep creating tickets and sending mail: nothing acknowledged is lost or
doubled, its leaderships and leases move to the survivors, and no survivor answers 500.
"""

from __future__ import annotations

import email
import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa
from cluster_example import DOMAIN, NAMES, ExampleCluster, hub_command, start_example
from cluster_leaders import wait_for
from cluster_load import Create, Mail, creator, deliver, mailer, new_mail

from hub.leadership import leaders
from hub.mail.tables import mail_inbox, mail_outbox
from hub.tickets.tables import tickets

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
HEARTBEAT = "scheduler heartbeat on node"
NOTIFIER = "reactor:mail-notifier"
SETTLE = 3.0  # seconds a doubled effect would need to show up (followers poll each second)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleCluster]:
    made = start_example(tmp_path_factory.mktemp("cluster"),
                         toml="[scheduler]\nheartbeat_seconds = 1\n")
    yield made
    made.stop()


def create(example: ExampleCluster, subject: str, requestor: str) -> tuple[int, str]:
    """POST a ticket through HAProxy; the new id and the node that answered."""
    response = example.lb("POST", "/api/v1/tickets", json={
        "queue": "General", "subject": subject, "body": "seen from the NOC",
        "requestors": [requestor]})
    assert response.status_code == 201, response.text
    return int(response.json()["id"]), response.headers["X-Served-By"]


def send(port: int, sender: str, subject: str) -> None:
    message = Mail(sender, f"general@{DOMAIN}", subject, new_mail(sender, subject, DOMAIN))
    assert deliver(port, message) == 250


def ticket_ids(example: ExampleCluster, subject: str) -> list[int]:
    with example.hub.engine.connect() as conn:
        return list(conn.execute(sa.select(tickets.c.id).where(tickets.c.subject == subject))
                    .scalars())


def one_autoreply_each(example: ExampleCluster, requestors: list[str],
                       timeout: float = 45, resent_ok: frozenset[str] = frozenset()) -> None:
    """Each requestor got exactly one autoreply: one outbox row, one message in the sink.

    ``resent_ok`` names requestors whose autoreply a killed node was sending: the
    outbox sends at least once, so that one may arrive twice, with the same Message-ID.
    """
    wait_for(lambda: all(example.sink.to(r) for r in requestors), timeout,
             "an autoreply to every requestor")
    time.sleep(SETTLE)
    ids = {r: [email.message_from_bytes(raw)["Message-ID"] for raw in example.sink.to(r)]
           for r in requestors}
    doubled = {r: got for r, got in ids.items()
               if len(set(got)) != 1 or (len(got) > 1 and r not in resent_ok)}
    assert doubled == {}
    with example.hub.engine.connect() as conn:
        rows = conn.execute(sa.select(mail_outbox.c.recipient).where(
            mail_outbox.c.kind == "autoreply",
            mail_outbox.c.recipient.in_(requestors))).scalars().all()
    assert sorted(rows) == sorted(requestors)


def test_haproxy_spreads_requests_over_all_three_nodes(example: ExampleCluster) -> None:
    seen = []
    for _ in range(9):
        response = example.lb("GET", "/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["node"] == response.headers["X-Served-By"]
        seen.append(body["node"])
    assert set(seen) == set(NAMES)

    made = {create(example, f"Round robin {n}", f"rr{n}@example.com") for n in range(6)}
    assert {node for _, node in made} == set(NAMES)
    for ticket_id, _ in made:  # written through one node, read through each
        for name in NAMES:
            response = example.api(name, "GET", f"/api/v1/tickets/{ticket_id}")
            assert response.status_code == 200, response.text
    one_autoreply_each(example, [f"rr{n}@example.com" for n in range(6)])


def test_a_web_session_made_through_haproxy_holds_on_every_node(
        example: ExampleCluster) -> None:
    """One secret for the cluster: the CSRF token and session cookie one node signs
    verify on the others, so the desk works whichever node HAProxy picks."""
    session = requests.Session()
    page = session.get(example.lb_url + "/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text[:300]
    login = session.post(example.lb_url + "/login", timeout=30, allow_redirects=False, data={
        "username": "admin", "password": "admin-password", "csrf_token": token.group(1)})
    assert login.status_code in (302, 303), login.text[:300]
    assert login.headers["X-Served-By"] != page.headers["X-Served-By"]  # round robin
    served = set()
    for _ in range(6):
        response = session.get(example.lb_url + "/api/v1/tickets", timeout=30)
        assert response.status_code == 200, response.text[:300]
        served.add(response.headers["X-Served-By"])
    assert served == set(NAMES)


def test_mail_through_every_smtp_port_makes_one_ticket_and_one_autoreply(
        example: ExampleCluster) -> None:
    ports = [(name, example.nodes[name].smtp_port) for name in NAMES]
    ports += [("haproxy", example.lb_smtp_port)] * 3
    sent = {f"mailer{n}@example.com": f"Mail {n} via {via}" for n, (via, _) in enumerate(ports)}
    for (sender, subject), (_, port) in zip(sent.items(), ports, strict=True):
        send(port, sender, subject)
    wait_for(lambda: all(ticket_ids(example, s) for s in sent.values()), 45,
             "a ticket for every mail")
    assert {s: len(ticket_ids(example, s)) for s in sent.values()} == dict.fromkeys(
        sent.values(), 1)
    one_autoreply_each(example, list(sent))


def test_a_word_written_through_one_node_is_found_through_every_node(
        example: ExampleCluster) -> None:
    written = {}
    for name in NAMES:
        word = f"{name.replace('-', '')}quokka{uuid.uuid4().hex[:6]}"
        response = example.api(name, "POST", "/api/v1/tickets", json={
            "queue": "General", "subject": f"fan failure, {word} rack"})
        assert response.status_code == 201, response.text
        written[word] = int(response.json()["id"])

    def found(reader: str, word: str) -> bool:
        response = example.api(reader, "GET", "/api/v1/search", params={"q": word})
        assert response.status_code == 200, response.text
        return written[word] in {h["id"] for h in response.json()["hits"]
                                 if h["kind"] == "ticket"}

    for word in written:
        for reader in NAMES:
            wait_for(lambda r=reader, w=word: found(r, w), 15, f"{word} on {reader}")

    status = subprocess.run(
        [hub_command(), "search", "status"], capture_output=True, text=True, timeout=60,
        check=True, env={"PATH": "/usr/bin:/bin", "HUB_NODE_NAME": "node-a",
                         "HUB_DATA_DIR": str(example.nodes["node-a"].data_dir),
                         "HUB_DATABASE_URL": str(example.hub.engine.url.render_as_string(
                             hide_password=False)), "HUB_SECRET_KEY": "tests"}).stdout
    assert set(re.findall(r"^node (node-[abc]): index at position", status, re.M)) == set(
        NAMES), status


def heartbeats(example: ExampleCluster) -> dict[str, int]:
    return {name: example.log(name).count(HEARTBEAT) for name in NAMES}


def test_the_scheduler_runs_its_jobs_on_one_node(example: ExampleCluster) -> None:
    leader = example.wait_leader("scheduler")
    before = heartbeats(example)[leader]
    wait_for(lambda: heartbeats(example)[leader] >= before + 3, 20, "three more heartbeats")
    beats = heartbeats(example)
    assert [name for name, count in beats.items() if count] == [leader], beats
    started = [name for name in NAMES if "scheduler started on node" in example.log(name)]
    assert started == [leader]


def test_with_no_node_in_rotation_haproxy_refuses_as_the_hub_does(
        example: ExampleCluster) -> None:
    """What clients see while no node can serve (a PostgreSQL restart fails every
    node's health check): a JSON 503 with Retry-After, and nothing done."""
    for name in NAMES:
        assert example.haproxy(f"set server hub_nodes/{name} state maint") == ""
    try:
        response = example.lb("POST", "/api/v1/tickets", headers={"Idempotency-Key": "x1"},
                              json={"queue": "General", "subject": "Nobody home"})
    finally:
        for name in NAMES:
            assert example.haproxy(f"set server hub_nodes/{name} state ready") == ""
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "3" and response.json()["retry_after"] == 3
    assert "X-Served-By" not in response.headers
    wait_for(lambda: {example.lb("GET", "/healthz").json()["node"] for _ in range(6)}
             == set(NAMES), 15, "every node back in rotation")
    assert ticket_ids(example, "Nobody home") == []


def leased_by(example: ExampleCluster, table: sa.Table, node: str) -> list[tuple[int, str]]:
    """Rows still waiting (inbox ``received``, outbox ``queued``) under ``node``'s lease."""
    waiting = "received" if table is mail_inbox else "queued"
    recipient = mail_outbox.c.recipient if table is mail_outbox else mail_inbox.c.mail_from
    with example.hub.engine.connect() as conn:
        return [(int(r.id), str(r.who)) for r in conn.execute(
            sa.select(table.c.id, recipient.label("who")).where(
                table.c.state == waiting, table.c.locked_by.like(f"{node}@%"))).all()]


def test_sigkill_of_the_leading_node_mid_load_loses_and_doubles_nothing(
        example: ExampleCluster) -> None:
    victim = example.wait_leader(NOTIFIER)
    survivors = [name for name in NAMES if name != victim]
    with example.hub.engine.connect() as conn:
        held = {key for key, node in leaders(conn).items() if node == victim}
    assert held, f"{victim} leads {NOTIFIER} but pg_locks shows no lock of it"

    stop = threading.Event()
    creates: list[Create] = []
    mails: list[Mail] = []
    smtp_ports = [example.nodes[name].smtp_port for name in survivors]
    clients = [threading.Thread(target=creator(example.lb_url, example.token, stop, creates))
               for _ in range(3)]
    clients.append(threading.Thread(target=mailer(smtp_ports, DOMAIN, stop, mails)))
    for client in clients:
        client.start()
    try:
        wait_for(lambda: sum(c.ticket_id is not None for c in creates) >= 20, 30,
                 "load on the cluster")
        # Mail the victim accepts just before it dies is acknowledged too: its own inbox
        # worker is likely mid-batch on it when the SIGKILL comes.
        last_words = [Mail(f"last{n}@example.com", f"general@{DOMAIN}", f"Chaos mail last {n}",
                           new_mail(f"last{n}@example.com", f"Chaos mail last {n}", DOMAIN))
                      for n in range(8)]
        for message in last_words:
            message.accepted = deliver(example.nodes[victim].smtp_port, message) == 250
        example.kill9(victim)
        killed = time.monotonic()
        stranded_in, stranded_out = (leased_by(example, mail_inbox, victim),
                                     leased_by(example, mail_outbox, victim))
        wait_for(lambda: all(leaders_now(example).get(key) in survivors for key in held),
                 15, f"survivors taking over what {victim} led")
        took_over = time.monotonic() - killed
        wait_for(lambda: sum(c.ticket_id is not None and c.started > killed + 1
                             for c in creates) >= 20, 45, "creates after the kill")
    finally:
        stop.set()
        for client in clients:
            client.join(120)
    assert took_over < 10, f"leaderships moved after {took_over:.1f} s"

    # Every create was acknowledged, each key made one ticket, none was made twice.
    assert [c.key for c in creates if c.ticket_id is None] == []
    subjects = {c.subject: c.ticket_id for c in creates}
    with example.hub.engine.connect() as conn:
        made = Counter(conn.execute(sa.select(tickets.c.subject).where(
            tickets.c.subject.like("Chaos create %"))).scalars())
    assert made == Counter(subjects.keys())
    assert [s for s, ticket_id in subjects.items() if ticket_id not in ticket_ids(example, s)] \
        == []

    # Every accepted mail made one ticket, the ones the victim had leased included.
    assert [m.subject for m in last_words if not m.accepted] == []
    assert [m.subject for m in mails if not m.accepted] == []
    mails += last_words
    wait_for(lambda: not leased_by(example, mail_inbox, victim) and all(
        ticket_ids(example, m.subject) for m in mails), 60,
        f"a ticket for every mail (stranded in {victim}'s inbox lease: {stranded_in})")
    assert {m.subject: len(ticket_ids(example, m.subject)) for m in mails} == {
        m.subject: 1 for m in mails}

    # One autoreply per new ticket, also for those the victim's reactor had not reached.
    resent_ok = frozenset(who for _, who in stranded_out)
    one_autoreply_each(example, [c.requestor for c in creates] + [m.sender for m in mails],
                       timeout=150 if stranded_out else 45, resent_ok=resent_ok)

    # No survivor answered 500 (or any 5xx); SMTP replies were all 250.
    answers = [a for c in creates for a in c.answers]
    assert [a for a in answers if a.status == 500 or (
        a.status is not None and a.status >= 500 and a.served_by in survivors)] == []
    assert {code for m in mails for code, _ in m.replies} == {250}
    for name in survivors:
        assert "unhandled error" not in example.log(name), name
    nodes_now = {example.lb("GET", "/healthz").json()["node"] for _ in range(6)}
    assert nodes_now == set(survivors)


def leaders_now(example: ExampleCluster) -> dict[str, str]:
    with example.hub.engine.connect() as conn:
        return leaders(conn)


__all__ = ["example"]
