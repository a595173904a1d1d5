"""The check of a queue's ``sla`` setting, registered with the tickets feature.

Tickets stores the body; this feature says whether it is a policy (targets,
bands, statuses) and whether its calendar exists, with the reason when not.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.domain import ValidationError
from hub.sla.policy import normalise
from hub.sla.tables import sla_calendars


def check_queue_sla(value: Any, conn: sa.Connection) -> dict[str, Any] | None:
    policy = normalise(value)
    if policy is not None and policy.get("calendar") is not None:
        known = conn.execute(sa.select(sla_calendars.c.name).where(
            sla_calendars.c.name == policy["calendar"])).first()
        if known is None:
            raise ValidationError(f"calendar {policy['calendar']!r} is not defined "
                                  "(PUT /api/v1/calendars/NAME first)", field="sla.calendar")
    return policy
