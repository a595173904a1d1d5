"""The ops feature's typed reads: what other features and entrypoints may use from ops.

Why a face: the desk (``hub.web``) keeps its own ticket rates in the same RRD
directory as the alert metrics, and the mail feature recognises stock Nagios
notification mails; both used to reach into ``hub.ops.metrics`` and
``hub.ops.alerts.nagios``. They import from here instead, so the internals of
ops can move without breaking them. Writes go through :mod:`hub.ops.commands`
(e.g. :class:`hub.ops.commands.ReceiveAlert` with the parsed signal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.ops.alerts.nagios import parse_nagios_email
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal
from hub.ops.metrics import MetricStore, ds_name, safe_name

if TYPE_CHECKING:
    from hub.bootstrap import Hub

__all__ = [
    "AlertPayloadError",
    "AlertSignal",
    "MetricStore",
    "ds_name",
    "metric_store",
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
