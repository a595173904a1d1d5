"""The runs read model: one row per run with the contract's JSON shape.

Each run event replays the run's stream up to that event with the aggregate's
own appliers, so the row and a rebuild from position 0 can never disagree (runs
have tens of events, so the replay costs nothing worth caching).
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.eventstore import EventStore, StoredEvent
from hub.projections import TableProjection
from hub.runbooks.model import Run, public
from hub.runbooks.tables import runbook_runs


class RunsProjection(TableProjection):
    name = "runbook_runs"
    tables = (runbook_runs,)
    prefixes = ("run-",)

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("run-")

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None:
        run = Run(event.stream_id.split("-", 1)[1])
        run.replay(self.store.read_stream(conn, event.stream_id, to_position=event.position))
        if run.version < event.version:  # the event itself is not yet readable: add it
            run.replay([event])
        values = {"runbook": run.runbook, "revision": run.revision,
                  "ticket_id": run.ticket_id, "status": run.status,
                  "started_by": run.started_by, "updated_at": event.at,
                  "state": public(run)}
        if event.type == "RunStarted":
            conn.execute(sa.delete(runbook_runs).where(runbook_runs.c.id == run.number))
            conn.execute(sa.insert(runbook_runs).values(id=run.number, started_at=event.at,
                                                        **values))
        else:
            conn.execute(sa.update(runbook_runs).where(runbook_runs.c.id == run.number)
                         .values(**values))
