"""The scheduler runs on one node of the cluster, and moves when that node dies.

Observed through its heartbeat job (``[scheduler] heartbeat_seconds``), which logs the
node running it, and through PostgreSQL's own view of who holds the lock.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from cluster_leaders import Cluster, cluster, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BEAT = "scheduler heartbeat on node"


def beats(cluster: Cluster) -> dict[str, int]:
    return {name: len(re.findall(BEAT, cluster.log(name))) for name in cluster.nodes}


def test_jobs_run_on_exactly_one_node_and_a_killed_leader_is_replaced(
        cluster: Callable[..., Cluster]) -> None:
    nodes = cluster(("node-a", "node-b", "node-c"), scheduler=True,
                    toml="[scheduler]\nheartbeat_seconds = 1\n")
    leader = nodes.wait_leader("scheduler")
    wait_for(lambda: beats(nodes)[leader] >= 3, 20, "three heartbeats")
    counted = beats(nodes)
    assert [name for name, n in counted.items() if n] == [leader], counted

    nodes.kill9(leader)
    killed_at = time.time()
    successor = nodes.wait_leader("scheduler", timeout=10, other_than=leader)
    wait_for(lambda: beats(nodes)[successor] >= 2, 15, "the successor's heartbeats")
    assert time.time() - killed_at < 15
    after = beats(nodes)
    running = [name for name, n in after.items() if n and name != leader]
    assert running == [successor], after
    assert f"scheduler started on node {successor}" in nodes.log(successor)


__all__ = ["cluster"]  # the fixture, imported from cluster_leaders
