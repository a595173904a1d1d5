"""Turn the hub's configuration into runbook operations, and name their resources.

Pools and VIPs are declared in the TOML file (``settings.extra``)::

    [[lb_pools]]
    name = "web"
    driver = "haproxy"                 # or "ipvs"
    members = ["web1", "web2"]
    haproxy = {socket = "/run/haproxy/admin.sock", backend = "web"}

    [vips.web-vip]
    address = "192.0.2.10"
    prefixlen = 24
    hosts = {lb1 = {ifname = "eth0"}, lb2 = {ifname = "eth0", netns = "lb2"}}

Backups come from ``settings.backup_root`` and ``settings.restore_targets``. A
malformed entry is a ``ConfigError`` naming it, raised when operations are first
needed, so a typo shows up as a clear error instead of an unknown pool at 3 a.m.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, cast

from hub.drivers.base import (
    HaproxySettings,
    IpvsMember,
    IpvsSettings,
    Operation,
    Pool,
    TargetNotAllowedError,
    UnknownTargetError,
    lookup_pool,
    require_str,
    unknown_pool,
)
from hub.drivers.registry import build_operations
from hub.drivers.restore import check_name, relative_backup_path
from hub.drivers.vip import VipConfig, VipHost, resolve_vip


class ConfigError(ValueError):
    """The runbook part of the configuration is malformed."""


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table")
    return value


def parse_pools(items: Any) -> dict[str, Pool]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise ConfigError("lb_pools must be a list of tables ([[lb_pools]])")
    pools: dict[str, Pool] = {}
    for index, raw in enumerate(items):
        item = _table(raw, f"lb_pools #{index}")
        name = str(item.get("name") or "")
        where = f"lb_pools {name or '#' + str(index)}"
        driver = item.get("driver", "haproxy")
        members = item.get("members")
        if not name or driver not in ("haproxy", "ipvs"):
            raise ConfigError(f"{where}: needs a name and driver haproxy or ipvs")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{where}: members must be a list of server names")
        haproxy = ipvs = None
        if driver == "haproxy":
            h = _table(item.get("haproxy"), f"{where}.haproxy")
            haproxy = HaproxySettings(socket_path=str(h["socket"]), backend=str(h["backend"]))
        else:
            v = _table(item.get("ipvs"), f"{where}.ipvs")
            real = {k: IpvsMember(str(m["address"]), int(m["port"]), int(m.get("weight", 1)))
                    for k, m in _table(v.get("members"), f"{where}.ipvs.members").items()}
            ipvs = IpvsSettings(vip=str(v["vip"]), port=int(v["port"]), members=real,
                                protocol=v.get("protocol", "tcp"),
                                fwd_method=v.get("fwd_method", "masq"), netns=v.get("netns"))
        pools[name] = Pool(name=name, driver=driver, members=tuple(members), haproxy=haproxy,
                           ipvs=ipvs)
    return pools


def parse_vips(table: Any) -> dict[str, VipConfig]:
    if table is None:
        return {}
    vips: dict[str, VipConfig] = {}
    for name, raw in _table(table, "vips").items():
        item = _table(raw, f"vips.{name}")
        hosts = {h: VipHost(name=h, ifname=str(_table(v, f"vips.{name}.hosts.{h}")["ifname"]),
                            netns=v.get("netns"))
                 for h, v in _table(item.get("hosts"), f"vips.{name}.hosts").items()}
        track = item.get("track_files")
        vips[str(name)] = VipConfig(
            address=str(item["address"]), prefixlen=int(item.get("prefixlen", 32)), hosts=hosts,
            track_files=dict(_table(track, f"vips.{name}.track_files")) if track else None)
    return vips


def targets_of(hub: Any) -> tuple[dict[str, Pool], dict[str, VipConfig]]:
    """Configured pools and VIPs, parsed once per hub."""
    cached = hub.services.get("runbook_targets")
    if cached is None:
        try:
            cached = (parse_pools(hub.settings.extra.get("lb_pools")),
                      parse_vips(hub.settings.extra.get("vips")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"runbook configuration: {exc}") from exc
        hub.services["runbook_targets"] = cached
    return cast(tuple[dict[str, Pool], dict[str, VipConfig]], cached)


def operations_of(hub: Any) -> dict[str, Operation]:
    """The action -> operation map, built once per hub (tests may replace it)."""
    ops = hub.services.get("runbook_operations")
    if ops is None:
        pools, vips = targets_of(hub)
        ops = build_operations(pools, vips, hub.settings.backup_root,
                               hub.settings.restore_targets,
                               is_master=hub.services.get("keepalived_is_master"))
        hub.services["runbook_operations"] = ops
    return cast(dict[str, Operation], ops)


def check_targets(hub: Any, action: str, params: Mapping[str, Any]) -> None:
    """Refuse targets outside the configuration before a run exists (no I/O here).

    The drivers check again, with the file system and the live systems, at plan
    and apply time; this early check makes a typo a 422 at start, not a failed step.
    A pool or VIP the configuration does not declare at all is left to the plan: the
    step is then ``failed`` with an error that says what to declare, and the steps
    before it (or a ``when:`` condition) still run, so a runbook that shows a drain
    as an example can be run where no load balancer is configured yet.
    """
    try:
        _check_targets(hub, action, params)
    except UnknownTargetError:
        return


def unconfigured(hub: Any, action: str, params: Mapping[str, Any]) -> str | None:
    """Why a step cannot plan here: the pool or VIP it names (in the runbook text itself,
    not through ``{{ }}``) is not declared in the configuration. For the runbook page."""
    key = {"lb.drain": "pool", "lb.ready": "pool", "vip.failover": "vip"}.get(action)
    name = params.get(key) if key else None
    if not isinstance(name, str) or "{{" in name:
        return None
    try:
        pools, vips = targets_of(hub)
    except ConfigError as exc:
        return str(exc)
    if key == "pool" and name not in pools:
        return str(unknown_pool(name))
    if key == "vip" and not any(name in (n, v.address) for n, v in vips.items()):
        try:
            resolve_vip(vips, params)
        except UnknownTargetError as exc:
            return str(exc)
        except TargetNotAllowedError:
            return None
    return None


def _check_targets(hub: Any, action: str, params: Mapping[str, Any]) -> None:
    pools, vips = targets_of(hub)
    if action in ("lb.drain", "lb.ready"):
        lookup_pool(pools, params, pools[params["pool"]].driver if params.get("pool") in pools
                    else "haproxy").check_member(params.get("server"))
    elif action == "vip.failover":
        resolve_vip(vips, params)
    elif action == "backup.restore":
        check_name("host", require_str(params, "host"))
        check_name("snapshot", str(params.get("snapshot") or "latest"))
        relative_backup_path(require_str(params, "path"))
        target = PurePosixPath(require_str(params, "target"))
        roots = [PurePosixPath(p) for t in hub.settings.restore_targets
                 for p in (os.path.abspath(t), os.path.realpath(t))]
        if not target.is_absolute() or ".." in target.parts or not any(
                target == r or r in target.parents for r in roots):
            raise TargetNotAllowedError(f"target {str(target)!r} is not under a restore target")


def canonical(hub: Any, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Name a VIP by its configured name, so ``vip:<name>`` leases match however it was
    written (the driver accepts the address too)."""
    out = dict(params)
    if action == "vip.failover":
        _pools, vips = targets_of(hub)
        out["vip"] = next((name for name, v in vips.items()
                           if out.get("vip") in (name, v.address)), out.get("vip"))
    return out


def resources(action: str, params: Mapping[str, Any]) -> list[str]:
    """The lease names a step changes: one per pool member, VIP or restore target."""
    if action in ("lb.drain", "lb.ready"):
        return [f"lb:{params.get('pool')}/{params.get('server')}"]
    if action == "vip.failover":
        return [f"vip:{params.get('vip')}"]
    if action == "backup.restore":
        return [f"restore:{params.get('host')}:{params.get('target')}"]
    return []
