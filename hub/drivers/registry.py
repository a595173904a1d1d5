"""One place that turns the hub's configuration into the runbook actions' operations.

``lb.drain``/``lb.ready`` pick the HAProxy or IPVS implementation from the pool's driver
and ``vip.failover`` picks keepalived or direct address moves from the VIP's config, so
the runbook engine only ever looks up an action name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hub.drivers.base import (
    Operation,
    Outcome,
    Params,
    Plan,
    Pool,
    require_str,
    unknown_pool,
)
from hub.drivers.haproxy import LbDrain, LbReady
from hub.drivers.ipvs import IpvsDrain, IpvsReady
from hub.drivers.restore import BackupRestore
from hub.drivers.vip import KeepalivedFailover, VipConfig, VipFailover, resolve_vip


class _Dispatch(Operation):
    """Forwards every call to the operation chosen for the params."""

    def _pick(self, params: Params) -> Operation:
        raise NotImplementedError

    def plan(self, params: Params) -> Plan:
        return self._pick(params).plan(params)

    def apply(self, params: Params, plan: Plan) -> Outcome:
        return self._pick(params).apply(params, plan)

    def verify(self, params: Params) -> Outcome:
        return self._pick(params).verify(params)

    def inverse(self, params: Params) -> tuple[str, dict[str, Any]] | None:
        return self._pick(params).inverse(params)


class LbDispatch(_Dispatch):
    def __init__(self, action: str, pools: Mapping[str, Pool], by_driver: dict[str, Operation]):
        self.action = action  # type: ignore[misc]
        self.pools = pools
        self.by_driver = by_driver

    def _pick(self, params: Params) -> Operation:
        pool = self.pools.get(require_str(params, "pool"))
        if pool is None:
            raise unknown_pool(params.get("pool"))
        return self.by_driver[pool.driver]


class VipDispatch(_Dispatch):
    action = "vip.failover"

    def __init__(self, vips: Mapping[str, VipConfig], direct: Operation,
                 keepalived: Operation | None) -> None:
        self.vips = vips
        self.direct = direct
        self.keepalived = keepalived

    def _pick(self, params: Params) -> Operation:
        vip, _host = resolve_vip(self.vips, params)
        if vip.track_files and self.keepalived is not None:
            return self.keepalived
        return self.direct


def build_operations(
    pools: Mapping[str, Pool],
    vips: Mapping[str, VipConfig],
    backup_root: str | Path,
    restore_targets: Sequence[str | Path],
    is_master: Callable[[str, str], bool] | None = None,
) -> dict[str, Operation]:
    """Action name -> operation, for the runbook engine."""
    keepalived = KeepalivedFailover(vips, is_master) if is_master is not None else None
    return {
        "lb.drain": LbDispatch("lb.drain", pools,
                               {"haproxy": LbDrain(pools), "ipvs": IpvsDrain(pools)}),
        "lb.ready": LbDispatch("lb.ready", pools,
                               {"haproxy": LbReady(pools), "ipvs": IpvsReady(pools)}),
        "vip.failover": VipDispatch(vips, VipFailover(vips), keepalived),
        "backup.restore": BackupRestore(backup_root, restore_targets),
    }
