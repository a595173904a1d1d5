"""Operation drivers for runbook steps: plan / apply / verify / inverse per action.

Use ``build_operations(...)`` to get ``{action name: Operation}``; see ``base`` for the
contract and the errors (``TargetNotAllowedError`` maps to HTTP 422).
"""

from hub.drivers.base import (
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
from hub.drivers.registry import build_operations
from hub.drivers.vip import VipConfig, VipHost

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
