"""LbDrain / LbReady against a real HAProxy with three real HTTP backends."""

from __future__ import annotations

import http.client
from collections import Counter

import pytest
from ops_support import HaproxyEnv

from hub.drivers.base import (
    HaproxySettings,
    OperationError,
    Pool,
    TargetNotAllowedError,
    VerifyError,
)
from hub.drivers.haproxy import HaproxyClient, LbDrain, LbReady


def fetch(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def spread(port: int, n: int = 30) -> Counter[str]:
    return Counter(fetch(port) for _ in range(n))


def make_pools(env: HaproxyEnv) -> dict[str, Pool]:
    pool = Pool(
        name="web",
        driver="haproxy",
        members=tuple(env.servers),
        haproxy=HaproxySettings(socket_path=env.socket_path, backend=env.backend),
    )
    return {"web": pool}


def test_drain_then_ready(haproxy_env: HaproxyEnv) -> None:
    pools = make_pools(haproxy_env)
    port = haproxy_env.frontend_port
    assert set(spread(port, 9)) == {"s1", "s2", "s3"}

    drain, ready = LbDrain(pools), LbReady(pools)
    params = {"pool": "web", "server": "s2", "wait_timeout": 5}
    plan = drain.plan(params)
    assert not plan.noop
    assert plan.changes == ["web/s2: state -> drain"]
    assert "ready" in plan.summary
    with pytest.raises(VerifyError):
        drain.verify(params)

    out = drain.apply(params, plan)
    assert "sessions reached 0" in out.output
    assert drain.verify(params).data["admin_state"] & 0x08
    assert drain.plan(params).noop

    counts = spread(port, 30)
    assert "s2" not in counts
    assert counts["s1"] > 0 and counts["s3"] > 0
    assert sum(counts.values()) == 30

    assert drain.inverse(params) == ("lb.ready", {"pool": "web", "server": "s2"})
    rplan = ready.plan({"pool": "web", "server": "s2"})
    assert not rplan.noop
    ready.apply({"pool": "web", "server": "s2"}, rplan)
    ready.verify({"pool": "web", "server": "s2"})
    assert spread(port, 9)["s2"] > 0


def test_last_healthy_server_is_refused(haproxy_env: HaproxyEnv) -> None:
    pools = make_pools(haproxy_env)
    drain = LbDrain(pools)
    for name in ("s1", "s2"):
        params = {"pool": "web", "server": name}
        drain.apply(params, drain.plan(params))
    with pytest.raises(OperationError, match="last healthy"):
        drain.plan({"pool": "web", "server": "s3"})
    with pytest.raises(OperationError, match="last healthy"):
        drain.apply({"pool": "web", "server": "s3"}, drain.plan({"pool": "web", "server": "s1"}))
    counts = spread(haproxy_env.frontend_port, 6)
    assert counts == Counter({"s3": 6})


def test_unknown_server_and_pool_are_refused(haproxy_env: HaproxyEnv) -> None:
    pools = make_pools(haproxy_env)
    drain = LbDrain(pools)
    for params in (
        {"pool": "web", "server": "s9"},
        {"pool": "web", "server": "s1;disable server web/s2"},
        {"pool": "nope", "server": "s1"},
        {"pool": "web"},
    ):
        with pytest.raises(TargetNotAllowedError):
            drain.plan(params)


def test_runtime_api_text_reply_is_an_error(haproxy_env: HaproxyEnv) -> None:
    client = HaproxyClient(haproxy_env.socket_path)
    with pytest.raises(OperationError, match="No such server"):
        client.set_state("web", "ghost", "drain")
    assert client.current_sessions("web", "s1") == 0
