"""What a keepalived state change adds to the failover ticket's story.

POSTs from two nodes cross on the wire, so the timeline is re-ordered by the
nodes' timestamps, and the flags (split brain, every node FAULT) are re-read from
the whole episode each time; a flag is written once when it appears and once when
it clears, not on every report.
"""

from __future__ import annotations

from typing import Any

from hub.ops.alerts.keepalived import order_transitions, summarise_vrrp
from hub.ops.alerts.signal import AlertSignal


def _line(signal: AlertSignal) -> str:
    when = signal.occurred_at.isoformat() if signal.occurred_at else "no timestamp"
    prio = signal.details.get("priority")
    return f"{when}  {signal.host or '?'} -> {signal.state}" + (
        f" (priority {prio})" if prio is not None else "")


def vrrp_note(previous: list[dict[str, Any]], signal: AlertSignal,
              flags: dict[str, bool]) -> tuple[str, dict[str, bool], bool]:
    """(comment, new flags, escalate) for one more state change of one instance."""
    signals = [AlertSignal.from_dict(d) for d in previous] + [signal]
    ordered = order_transitions(signals)
    summary = summarise_vrrp(signals)
    lines = [f"VRRP {signal.details.get('type', 'INSTANCE')} {signal.service}: {_line(signal)}"]
    if ordered[-1] is not signal:
        lines += ["", "This report arrived after later ones; by timestamp the timeline is:"]
        lines += [f"  {_line(s)}" for s in ordered[-12:]]
    new_flags = {"split_brain": bool(summary["split_brain"]),
                 "all_fault": bool(summary["all_fault"])}
    escalate = False
    if new_flags["split_brain"] and not flags.get("split_brain"):
        masters = " and ".join(summary["masters"])
        lines += ["", f"WARNING: possible split brain: {masters} all last reported MASTER "
                  "(a hung or killed master reports nothing). Check which node holds the VIP."]
        escalate = True
    elif flags.get("split_brain") and not new_flags["split_brain"]:
        lines += ["", "Split brain cleared: at most one node reports MASTER now."]
    if new_flags["all_fault"] and not flags.get("all_fault"):
        lines += ["", f"OUTAGE: every node of {signal.service} is in FAULT; nobody holds the VIP."]
        escalate = True
    elif flags.get("all_fault") and not new_flags["all_fault"]:
        lines += ["", "Fault cleared: at least one node left FAULT."]
    states = ", ".join(f"{node} {ns.state}" for node, ns in sorted(summary["nodes"].items()))
    lines += ["", f"Now: {states}"]
    return "\n".join(lines), new_flags, escalate
