"""Alert sources normalised into one :class:`AlertSignal` (pure domain code, no I/O).

Entrypoints decode the HTTP body or mail, call the parser of their source and hand
the signal to the alert handlers; everything here is deterministic so a stored
payload always gives the same signal again.
"""

from hub.ops.alerts.alertmanager import parse_alertmanager
from hub.ops.alerts.backuppc import parse_backuppc, stale_hosts
from hub.ops.alerts.events_v2 import parse_events_v2
from hub.ops.alerts.flapping import FlapPolicy, is_flapping
from hub.ops.alerts.keepalived import order_transitions, parse_keepalived, summarise_vrrp
from hub.ops.alerts.nagios import parse_nagios, parse_nagios_email
from hub.ops.alerts.perfdata import parse_perfdata
from hub.ops.alerts.routing import Route, RoutingRule, RoutingRuleError, load_rules, route
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

__all__ = [
    "AlertPayloadError",
    "AlertSignal",
    "FlapPolicy",
    "Route",
    "RoutingRule",
    "RoutingRuleError",
    "is_flapping",
    "load_rules",
    "order_transitions",
    "parse_alertmanager",
    "parse_backuppc",
    "parse_events_v2",
    "parse_keepalived",
    "parse_nagios",
    "parse_nagios_email",
    "parse_perfdata",
    "route",
    "stale_hosts",
    "summarise_vrrp",
]
