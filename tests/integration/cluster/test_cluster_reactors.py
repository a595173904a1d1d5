"""Three real nodes on one PostgreSQL: each reactor has one consumer for the cluster.

Before, every node's reactor worker ran the mail notifier and only the outbox's dedupe
key stood between a ticket and two autoreplies; now one node leads each reactor
(an advisory lock) and a killed leader is replaced within seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from cluster_leaders import Cluster, cluster, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CUSTOMER = "customer@example.com"
NOTIFIER = "reactor:mail-notifier"


def open_ticket(cluster: Cluster, node: str, subject: str) -> int:
    response = cluster.api(node, "POST", "/api/v1/tickets", json={
        "queue": "General", "subject": subject, "body": "it does not connect",
        "requestors": [CUSTOMER]})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def one_autoreply(cluster: Cluster, subject: str) -> None:
    wait_for(lambda: cluster.sink.to(CUSTOMER, subject), 30, f"the autoreply to {subject}")
    time.sleep(3)  # room for a second node's duplicate, if there were one
    assert len(cluster.sink.to(CUSTOMER, subject)) == 1


def test_three_nodes_send_one_autoreply_and_survive_kill_9_of_the_leader(
        cluster: Callable[..., Cluster]) -> None:
    nodes = cluster(("node-a", "node-b", "node-c"))
    for name, server in nodes.nodes.items():
        health = requests.get(server.url + "/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["node"] == name

    leader = nodes.wait_leader(NOTIFIER)
    open_ticket(nodes, "node-a", "VPN down")
    one_autoreply(nodes, "VPN down")
    # Every cluster-wide reactor has exactly one leader; node-local ones take no lock.
    logs = {name: nodes.log(name) for name in nodes.nodes}
    assert sum("now runs reactor mail-notifier" in text for text in logs.values()) == 1

    nodes.kill9(leader)
    killed_at = time.time()
    successor = nodes.wait_leader(NOTIFIER, timeout=10, other_than=leader)
    assert successor != leader and time.time() - killed_at < 10
    alive = next(name for name in nodes.nodes if name != leader)
    open_ticket(nodes, alive, "Printer on fire")
    one_autoreply(nodes, "Printer on fire")
    assert len(nodes.sink.to(CUSTOMER, "VPN down")) == 1


__all__ = ["cluster"]  # the fixture, imported from cluster_leaders
