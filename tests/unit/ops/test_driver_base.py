"""The shared contract: errors, pool membership checks and the polling helper."""

from __future__ import annotations

import pytest

from hub.drivers.base import (
    OperationError,
    OperationTimeoutError,
    Pool,
    TargetNotAllowedError,
    VerifyError,
    lookup_pool,
    wait_until,
)


def test_error_hierarchy() -> None:
    for cls in (TargetNotAllowedError, VerifyError, OperationTimeoutError):
        assert issubclass(cls, OperationError)


def test_pool_member_check() -> None:
    pool = Pool(name="web", driver="haproxy", members=("web1", "web 2"))
    assert pool.check_member("web1") == "web1"
    for bad in ("web3", None, 5, "web 2"):
        with pytest.raises(TargetNotAllowedError):
            pool.check_member(bad)


def test_lookup_pool() -> None:
    pools = {"web": Pool(name="web", driver="ipvs", members=("a",))}
    assert lookup_pool(pools, {"pool": "web"}, "ipvs") is pools["web"]
    for params, driver in (({"pool": "db"}, "ipvs"), ({}, "ipvs"), ({"pool": "web"}, "haproxy")):
        with pytest.raises(TargetNotAllowedError):
            lookup_pool(pools, params, driver)


def test_wait_until() -> None:
    seen = iter([False, False, True])
    wait_until(lambda: next(seen), timeout=5, what="x", interval=0.001)
    with pytest.raises(OperationTimeoutError, match="waiting for never"):
        wait_until(lambda: False, timeout=0.05, what="never", interval=0.01)
