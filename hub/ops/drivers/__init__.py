"""Operation drivers for runbook steps: plan / apply / verify / inverse per action.

Use ``build_operations(...)`` to get ``{action name: Operation}``; see ``base`` for the
contract and the errors (``TargetNotAllowedError`` maps to HTTP 422).
"""

from hub.ops.drivers.base import (
    HaproxySettings,
    IpvsMember,
    IpvsSettings,
    Operation,
    OperationError,
    OperationTimeoutError,
    Outcome,
    Plan,
    Pool,
    TargetNotAllowedError,
    VerifyError,
)
from hub.ops.drivers.registry import build_operations
from hub.ops.drivers.vip import VipConfig, VipHost

__all__ = [
    "HaproxySettings",
    "IpvsMember",
    "IpvsSettings",
    "Operation",
    "OperationError",
    "OperationTimeoutError",
    "Outcome",
    "Plan",
    "Pool",
    "TargetNotAllowedError",
    "VerifyError",
    "VipConfig",
    "VipHost",
    "build_operations",
]
