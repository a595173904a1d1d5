"""What a keepalived state change adds to the failover ticket's story.

POSTs from two nodes cross on the wire, so the timeline is re-ordered by the
nodes' timestamps, and the flags (split brain, every node FAULT) are re-read from
the whole episode each time; a flag is written once when it appears and once when
it clears, not on every report.

Why split brain is only *suspected* at first: in a normal preemption the new
MASTER's report and the old master's BACKUP leave milliseconds apart, and three
times out of five the MASTER arrives first; for that instant two nodes "are"
MASTER. The warning (and priority 90) waits ``[keepalived] settle_seconds``
(default 3 s, about three advert intervals): :mod:`hub.ops.vrrp_review` asks again
then, and only a split that still holds is reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.ops import events as ev
from hub.ops.alerts.keepalived import order_transitions, summarise_vrrp
from hub.ops.alerts.signal import AlertSignal

SUSPECT = "split_brain_suspect"


def _line(signal: AlertSignal) -> str:
    when = signal.occurred_at.isoformat() if signal.occurred_at else "no timestamp"
    prio = signal.details.get("priority")
    return f"{when}  {signal.host or '?'} -> {signal.state}" + (
        f" (priority {prio})" if prio is not None else "")


def vrrp_subject(instance: str, summary: dict[str, Any]) -> str:
    """The failover ticket's subject: the instance's current state, MASTER first."""
    nodes = sorted(summary["nodes"].items(), key=lambda kv: (kv[1].state != "MASTER", kv[0]))
    return f"Failover {instance}: " + ", ".join(f"{node or '?'} {ns.state}" for node, ns in nodes)


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
    split = bool(summary["split_brain"])
    new_flags = {"split_brain": split and bool(flags.get("split_brain")),
                 SUSPECT: split and not flags.get("split_brain"),
                 "all_fault": bool(summary["all_fault"])}
    escalate = False
    if new_flags[SUSPECT] and not flags.get(SUSPECT):
        lines += ["", f"{' and '.join(summary['masters'])} report MASTER at once; in a normal "
                  "preemption the old master's BACKUP follows within milliseconds, so this "
                  "is checked again in a few seconds before warning of a split brain."]
    elif flags.get("split_brain") and not split:
        lines += ["", "Split brain cleared: at most one node reports MASTER now."]
    if new_flags["all_fault"] and not flags.get("all_fault"):
        lines += ["", f"OUTAGE: every node of {signal.service} is in FAULT; nobody holds the VIP."]
        escalate = True
    elif flags.get("all_fault") and not new_flags["all_fault"]:
        lines += ["", "Fault cleared: at least one node left FAULT."]
    states = ", ".join(f"{node} {ns.state}" for node, ns in sorted(summary["nodes"].items()))
    lines += ["", f"Now: {states}"]
    return "\n".join(lines), new_flags, escalate


def confirm_split_brain(transitions: list[dict[str, Any]],
                        flags: dict[str, bool]) -> tuple[str, list[str]] | None:
    """After the settle time: the warning and the masters, when the split still holds."""
    if not flags.get(SUSPECT) or flags.get("split_brain") or not transitions:
        return None
    summary = summarise_vrrp([AlertSignal.from_dict(d) for d in transitions])
    if not summary["split_brain"]:
        return None
    masters = list(summary["masters"])
    return (f"WARNING: possible split brain: {' and '.join(masters)} all last reported MASTER "
            "and none of them reported anything else since (a hung or killed master reports "
            "nothing). Check which node holds the VIP.", masters)


class VrrpRecords:
    """Mixed into :class:`hub.ops.model.Alert`: the confirmed split brain."""

    id: str
    episodes: dict[str, Any]

    if TYPE_CHECKING:
        def _record(self, event: Any) -> None: ...  # the Aggregate's

    def record_split_brain(self, problem_key: str, ticket_id: int, masters: list[str]) -> None:
        self._record(ev.AlertSplitBrain(object_key=self.id, problem_key=problem_key,
                                        ticket_id=ticket_id, masters=masters))

    def _on_AlertSplitBrain(self, d: dict[str, Any]) -> None:
        ep = self.episodes.get(d["problem_key"])
        if ep is not None:
            ep.flags.update({"split_brain": True, SUSPECT: False})
