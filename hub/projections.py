"""Projections: named read models fed from the event store, tracked by position.

A projection is applied inside the same transaction as the append that produced
its events, after catching up from its recorded position, so a read model never
misses or repeats an event and can be rebuilt from position 0 with equal results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import sqlalchemy as sa

from hub.db import projection_positions
from hub.eventstore import EventStore, StoredEvent

log = logging.getLogger(__name__)


_MOVE_POSITIONS = (
    sa.update(projection_positions)
    .where(projection_positions.c.name.in_(sa.bindparam("names", expanding=True)))
    .values(position=sa.bindparam("to"))
)
_POSITIONS = sa.select(projection_positions)


class Projection(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def tables(self) -> Sequence[sa.Table]: ...

    def handles(self, event: StoredEvent) -> bool: ...

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None: ...


class TableProjection:
    """Base for projections that dispatch by event type to ``on_<EventType>`` methods."""

    name: str = ""
    tables: tuple[sa.Table, ...] = ()
    prefixes: tuple[str, ...] = ()

    def handles(self, event: StoredEvent) -> bool:
        return any(event.stream_id.startswith(p) for p in self.prefixes) and hasattr(
            self, f"on_{event.type}"
        )

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None:
        getattr(self, f"on_{event.type}")(conn, event)


class ProjectionRunner:
    """Keeps every registered projection at the head of the store."""

    def __init__(self, store: EventStore, projections: Iterable[Projection] = ()) -> None:
        self.store = store
        self.projections: dict[str, Projection] = {}
        self._move: tuple[tuple[str, ...], sa.TextClause, dict[str, str]] | None = None
        for p in projections:
            self.register(p)

    def register(self, projection: Projection) -> None:
        self.projections[projection.name] = projection

    def positions(self, conn: sa.Connection) -> dict[str, int]:
        rows = conn.execute(_POSITIONS).all()
        return {r.name: int(r.position) for r in rows}

    def _save_position(self, conn: sa.Connection, name: str, position: int, known: bool) -> None:
        if known:
            conn.execute(
                sa.update(projection_positions)
                .where(projection_positions.c.name == name)
                .values(position=position)
            )
        else:
            conn.execute(sa.insert(projection_positions).values(name=name, position=position))

    def _move_if_in_step(self) -> tuple[sa.TextClause, dict[str, str]]:
        """``UPDATE ... WHERE position = :at AND name IN (every projection)``, built once
        per set of projections: an expanding IN costs more than the update itself."""
        names = tuple(self.projections)
        if self._move is None or self._move[0] != names:
            binds = {f"n{i}": name for i, name in enumerate(names)}
            statement = sa.text(
                f"UPDATE {projection_positions.name} SET position = :to WHERE position = :at"
                f" AND name IN ({', '.join(':' + key for key in binds)})")
            self._move = (names, statement, binds)
        return self._move[1], self._move[2]

    def _all_in_step(self, conn: sa.Connection, new_events: Sequence[StoredEvent]) -> bool:
        """Move every projection past ``new_events`` if each stood right before them
        (then apply them); else leave the positions as they were and say so.

        One UPDATE instead of reading the positions and then writing them, on every
        write. No projection can already be at the last new position (those events
        were appended by this very transaction), which is what makes the undo exact.
        """
        statement, binds = self._move_if_in_step()
        first, last = new_events[0].position, new_events[-1].position
        moved = conn.execute(statement, {**binds, "at": first - 1, "to": last})
        if moved.rowcount != len(binds):
            if moved.rowcount:
                conn.execute(statement, {**binds, "at": last, "to": first - 1})
            return False
        for projection in self.projections.values():
            for event in new_events:
                if projection.handles(event):
                    projection.apply(conn, event)
        return True

    def catch_up(self, conn: sa.Connection, new_events: Sequence[StoredEvent] = ()) -> None:
        """Apply everything each projection has not seen, in the caller's transaction."""
        if not self.projections:
            return
        if new_events and self._all_in_step(conn, new_events):
            return
        positions = self.positions(conn)
        first_new = new_events[0].position if new_events else None
        in_step: list[str] = []  # projections that only needed the new events
        for name, projection in self.projections.items():
            known = name in positions
            at = positions.get(name, 0)
            if known and first_new is not None and at == first_new - 1:
                for event in new_events:
                    if projection.handles(event):
                        projection.apply(conn, event)
                in_step.append(name)
                continue
            last = at
            for event in self.store.iter_all(conn, at):
                if projection.handles(event):
                    projection.apply(conn, event)
                last = event.position
            if last != at or not known:
                self._save_position(conn, name, last, known)
        if in_step:
            # One statement moves every projection that was in step with the store.
            conn.execute(_MOVE_POSITIONS, {"names": in_step, "to": new_events[-1].position})

    def rebuild(
        self,
        conn: sa.Connection,
        names: Sequence[str] | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> int:
        """Empty the chosen read models and replay the whole store into them."""
        chosen = [self.projections[n] for n in (names or list(self.projections))]
        for projection in chosen:
            for table in reversed(list(projection.tables)):
                conn.execute(sa.delete(table))
            conn.execute(sa.delete(projection_positions)
                         .where(projection_positions.c.name == projection.name))
        count = 0
        last = 0
        for event in self.store.iter_all(conn, 0):
            for projection in chosen:
                if projection.handles(event):
                    projection.apply(conn, event)
            last = event.position
            count += 1
            if progress is not None:
                progress(1)
        for projection in chosen:
            self._save_position(conn, projection.name, last, False)
        return count
