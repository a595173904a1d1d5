"""The ops feature's typed reads: what other features and entrypoints may use from ops.

Why a face: the desk (``hub.web``) counts its tickets in the same RRD directory
as the alert metrics, with ops' counting (:mod:`hub.ops.counts`: whole counts per
minute, hour or day, the running minute included), and the mail feature
recognises stock Nagios notification mails. They import from here, so the
internals of ops can move without breaking them. Writes go through
:mod:`hub.ops.commands` (e.g. :class:`hub.ops.commands.ReceiveAlert` with the
parsed signal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.ops.alerts.nagios import parse_nagios_email
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal
from hub.ops.counts import PER as COUNT_STEPS
from hub.ops.counts import CountBuffer, CountGraph
from hub.ops.counts import graph as count_graph
from hub.ops.counts import series as count_series
from hub.ops.counts import totals as count_totals
from hub.ops.metrics import MetricStore, ds_name, safe_name

if TYPE_CHECKING:
    from hub.bootstrap import Hub

__all__ = [
    "COUNT_STEPS",
    "AlertPayloadError",
    "AlertSignal",
    "CountBuffer",
    "CountGraph",
    "MetricStore",
    "count_graph",
    "count_series",
    "count_totals",
    "ds_name",
    "metric_store",
    "nagios_ack_state",
    "parse_nagios_email",
    "safe_name",
]


def metric_store(hub: Hub) -> MetricStore:
    """The hub's RRD store (``<data_dir>/rrd``), shared by ops' alert metrics and the desk.

    The instance ops registered is returned when there is one; otherwise a store on
    the same directory (the desk may run without the ops feature's reactors).
    """
    store = hub.services.get("ops.metrics")
    if isinstance(store, MetricStore):
        return store
    return MetricStore(hub.settings.data_dir / "rrd")


def nagios_ack_state(conn: sa.Connection, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's open Nagios problems and where their acknowledgement stands.

    ``ack`` is ``confirmed`` (Nagios's status shows it), ``acknowledged`` (done in
    Nagios), ``pending``/``written``/``failed`` (the hub's queue) or ``none``; the
    ticket page shows an Acknowledge button while some problem is at ``none``/``failed``.
    """
    from hub.ops.tables import alerts, nagios_acks

    rows = conn.execute(sa.select(alerts, nagios_acks.c.state.label("queued"),
                                  nagios_acks.c.error).select_from(alerts.outerjoin(
        nagios_acks, (nagios_acks.c.problem_key == alerts.c.problem_key)
        & (nagios_acks.c.episode == alerts.c.episode))).where(
        alerts.c.ticket_id == ticket_id, alerts.c.source == "nagios",
        alerts.c.state == "open")).all()
    out = []
    for row in rows:
        state = ("confirmed" if row.ack_sent else "acknowledged" if row.acknowledged
                 else row.queued or "none")
        out.append({"host": row.host, "service": row.service, "ack": state,
                    "error": row.error or ""})
    return out
