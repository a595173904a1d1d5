"""keepalived notify-script reports, and a reading of what a sequence of them means.

keepalived runs the notify script on each node for each VRRP state change. What the
captured runs (shared/data/keepalived) taught:

* a SIGKILLed or hung master reports nothing, so the hub may hold two nodes whose
  last word was MASTER: a real split brain, or a dead master; both need a human;
* POSTs from two nodes can arrive out of order by a few milliseconds: order by the
  node's ``timestamp``, never by arrival;
* both nodes of one setup may report the same ``hostname`` (network namespaces), so
  the node is the ``node`` field the script was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.ops.alerts._fields import (
    opt_str,
    parse_time,
    req_str,
    require_mapping,
    stable_hash,
)
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

TYPES = ("INSTANCE", "GROUP")
STATE_SEVERITY = {
    "MASTER": "info",
    "BACKUP": "info",
    "FAULT": "critical",
    "STOP": "warning",
    "DELETED": "warning",  # keepalived >= 2.2 reports an instance removed by a reload
}


def parse_keepalived(doc: Mapping[str, Any]) -> AlertSignal:
    """One state change of one node; kind is always ``state_change``.

    The problem key is the VRRP instance (or group): one failover ticket per
    instance collects the changes of all its nodes.
    """
    body = require_mapping(doc, "keepalived notification")
    vrrp_type = req_str(body, "type", "keepalived notification").upper()
    if vrrp_type not in TYPES:
        raise AlertPayloadError(
            f"type must be INSTANCE or GROUP, got {vrrp_type!r}", field_name="type"
        )
    name = req_str(body, "name", "keepalived notification")
    state = req_str(body, "state", "keepalived notification").upper()
    if state not in STATE_SEVERITY:
        raise AlertPayloadError(
            f"state must be one of {sorted(STATE_SEVERITY)}, got {state!r}", field_name="state"
        )
    priority = _priority(body)
    node = opt_str(body, "node") or opt_str(body, "hostname")
    timestamp = opt_str(body, "timestamp")
    occurred_at = parse_time(body.get("timestamp"), "timestamp")
    identity: tuple[Any, ...] = (name, node, state, timestamp)
    if not timestamp:
        identity += (stable_hash(dict(body)),)
    details: dict[str, Any] = {
        "type": vrrp_type,
        "name": name,
        "node": node,
        "priority": priority,
        "timestamp": timestamp,
        "vip": opt_str(body, "vip"),
        "holds_vip": body.get("holds_vip"),
        "hostname": opt_str(body, "hostname"),
        "interface_addresses": body.get("interface_addresses") or [],
    }
    return AlertSignal(
        source="keepalived",
        kind="state_change",
        problem_key=f"keepalived:{name}",
        object_key=f"keepalived/{name}",
        delivery_id="keepalived:" + stable_hash(*identity),
        host=node,
        service=name,
        title=f"{state}: {node} / {name}" if node else f"{state}: {name}",
        severity=STATE_SEVERITY[state],
        state=state,
        output=f"{vrrp_type} {name} on {node or 'unknown node'} is {state} (priority {priority})",
        details=details,
        occurred_at=occurred_at,
        labels={"type": vrrp_type, **({"node": node} if node else {})},
    )


def _priority(body: Mapping[str, Any]) -> int | None:
    raw = opt_str(body, "priority")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise AlertPayloadError(
            f"priority must be an integer, got {raw!r}", field_name="priority"
        ) from None


def order_transitions(signals: Iterable[AlertSignal]) -> list[AlertSignal]:
    """Sort by the node's timestamp; arrival order breaks ties and places untimed ones last."""
    indexed = list(enumerate(signals))
    indexed.sort(key=lambda pair: (pair[1].occurred_at is None, _time_key(pair[1]), pair[0]))
    return [signal for _, signal in indexed]


def _time_key(signal: AlertSignal) -> float:
    return signal.occurred_at.timestamp() if signal.occurred_at else 0.0


@dataclass(frozen=True)
class NodeState:
    state: str
    priority: int | None
    at: datetime | None
    holds_vip: bool | None


def summarise_vrrp(
    signals: Iterable[AlertSignal], expected_nodes: Iterable[str] = ()
) -> dict[str, Any]:
    """What the reports of ONE VRRP instance say, for the failover ticket.

    Returns ``{"instance", "nodes": {node: NodeState}, "masters": [...],
    "split_brain", "all_fault", "split_brain_seen", "all_fault_seen", "last_change"}``.
    ``split_brain`` means two or more nodes whose *last* report is MASTER (real split
    brain, or a master that died without a word); ``all_fault`` means every known
    node is now FAULT. Known nodes are those that reported plus ``expected_nodes``
    (from configuration); without that list at least two nodes must have reported, so
    one node's FAULT seen alone is not taken for an outage. The ``*_seen`` flags say
    whether the condition held at any point of the replay: both are often short-lived.
    """
    expected = frozenset(expected_nodes)
    min_nodes = 1 if expected else 2
    ordered = order_transitions(signals)
    names = {s.problem_key for s in ordered}
    if len(names) > 1:
        raise AlertPayloadError(f"signals of several VRRP instances: {sorted(names)}")
    nodes: dict[str, NodeState] = {}
    split_seen = fault_seen = False
    for signal in ordered:
        if signal.source != "keepalived":
            raise AlertPayloadError(f"not a keepalived signal: {signal.source!r}")
        nodes[signal.host] = NodeState(
            state=signal.state,
            priority=signal.details.get("priority"),
            at=signal.occurred_at,
            holds_vip=signal.details.get("holds_vip"),
        )
        split_seen = split_seen or _split_brain(nodes)
        fault_seen = fault_seen or _all_fault(nodes, expected, min_nodes)
    return {
        "instance": ordered[0].service if ordered else None,
        "nodes": nodes,
        "masters": sorted(node for node, ns in nodes.items() if ns.state == "MASTER"),
        "split_brain": _split_brain(nodes),
        "all_fault": _all_fault(nodes, expected, min_nodes),
        "split_brain_seen": split_seen,
        "all_fault_seen": fault_seen,
        "last_change": ordered[-1].occurred_at if ordered else None,
    }


def _split_brain(nodes: Mapping[str, NodeState]) -> bool:
    return sum(1 for ns in nodes.values() if ns.state == "MASTER") > 1


def _all_fault(nodes: Mapping[str, NodeState], expected: frozenset[str], min_nodes: int) -> bool:
    known = expected | nodes.keys()
    if len(known) < min_nodes:
        return False
    return all(name in nodes and nodes[name].state == "FAULT" for name in known)
