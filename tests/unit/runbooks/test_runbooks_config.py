"""Pools and VIPs from the configuration, resource names, and the early target checks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hub.drivers.base import TargetNotAllowedError
from hub.runbooks.config import (
    ConfigError,
    canonical,
    check_targets,
    operations_of,
    parse_pools,
    parse_vips,
    resources,
    unconfigured,
)

EXTRA: dict[str, Any] = {
    "lb_pools": [{"name": "web", "driver": "haproxy", "members": ["s1", "s2"],
                  "haproxy": {"socket": "/run/haproxy.sock", "backend": "web"}}],
    "vips": {"web-vip": {"address": "10.231.9.1", "prefixlen": 24,
                         "hosts": {"A": {"ifname": "eth0"}, "B": {"ifname": "eth0",
                                                                  "netns": "b"}}}},
}


def fake_hub(tmp_path: Path) -> Any:
    settings = SimpleNamespace(extra=EXTRA, backup_root=tmp_path / "b",
                               restore_targets=(tmp_path / "r",))
    return SimpleNamespace(settings=settings, services={})


def test_parse_and_build(tmp_path: Path) -> None:
    pools = parse_pools(EXTRA["lb_pools"])
    assert pools["web"].members == ("s1", "s2") and pools["web"].haproxy is not None
    vips = parse_vips(EXTRA["vips"])
    assert vips["web-vip"].hosts["B"].netns == "b"
    ops = operations_of(fake_hub(tmp_path))
    assert set(ops) == {"lb.drain", "lb.ready", "vip.failover", "backup.restore"}
    for bad in ({"name": "x"}, [{"name": "x", "driver": "f5", "members": []}],
                [{"name": "x", "members": "s1"}]):
        with pytest.raises(ConfigError):
            parse_pools(bad)


def test_resources() -> None:
    assert resources("lb.drain", {"pool": "web", "server": "s1"}) == ["lb:web/s1"]
    assert resources("vip.failover", {"vip": "v", "to": "A"}) == ["vip:v"]
    assert resources("backup.restore", {"host": "h", "target": "/t"}) == ["restore:h:/t"]
    assert resources("ticket.comment", {"body": "x"}) == []


def test_static_checks(tmp_path: Path) -> None:
    hub = fake_hub(tmp_path)
    check_targets(hub, "lb.drain", {"pool": "web", "server": "s1"})
    check_targets(hub, "vip.failover", {"vip": "web-vip", "to": "B"})
    by_address = canonical(hub, "vip.failover", {"vip": "10.231.9.1", "to": "B"})
    assert resources("vip.failover", by_address) == ["vip:web-vip"]
    target = str(tmp_path / "r")
    check_targets(hub, "backup.restore", {"host": "h", "path": "/etc/x", "target": target})
    bad = [("lb.drain", {"pool": "web", "server": "s3"}),
           ("vip.failover", {"vip": "web-vip", "to": "C"}),
           ("backup.restore", {"host": "../h", "path": "/etc/x", "target": target}),
           ("backup.restore", {"host": "h", "path": "/../x", "target": target}),
           ("backup.restore", {"host": "h", "path": "/x", "target": target + "/../o"}),
           ("backup.restore", {"host": "h", "path": "/x", "target": "/etc"}),
           ("backup.restore", {"host": "h", "path": "/x", "snapshot": "..", "target": target})]
    for action, params in bad:
        with pytest.raises(TargetNotAllowedError):
            check_targets(hub, action, params)
    # a pool or VIP the configuration does not declare is left to the step's plan, which
    # fails saying what to declare; the runbook page tells it before the run starts
    check_targets(hub, "lb.ready", {"pool": "db", "server": "s1"})
    check_targets(hub, "vip.failover", {"vip": "db-vip", "to": "B"})
    gap = unconfigured(hub, "lb.ready", {"pool": "db", "server": "s1"})
    assert gap is not None and gap.startswith("unknown pool 'db': declare it under "
                                              "[[lb_pools]] in the TOML file that HUB_CONFIG")
    vip_gap = unconfigured(hub, "vip.failover", {"vip": "db-vip", "to": "B"})
    assert vip_gap is not None and "[vips.<name>]" in vip_gap
    assert unconfigured(hub, "lb.ready", {"pool": "web", "server": "s1"}) is None
    assert unconfigured(hub, "lb.ready", {"pool": "{{ params.pool }}", "server": "s1"}) is None


def test_drain_may_wait_for_sessions() -> None:
    from hub.runbooks.steps import parse_runbook

    book = parse_runbook("```op\naction: lb.drain\nparams: {pool: web, server: s1, "
                         "wait_timeout: 30}\n```\n```op\naction: lb.ready\nparams: {pool: web, "
                         "server: s1, wait_timeout: 30}\n```\n")
    assert book.steps[0].params["wait_timeout"] == 30
    assert book.errors == ["step 2: lb.ready has no parameter 'wait_timeout'"]
