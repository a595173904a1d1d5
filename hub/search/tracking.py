"""Where this node's search index stands in the event store, and where the others stand.

Each node keeps its own Whoosh index under its own data dir, so each node needs its
own position: two nodes sharing one (as the index reactor once did) meant a word
written through one node was never indexed by the other.  The position is kept twice:

- ``projection_positions`` row ``search:<node name>``, so the whole cluster can see
  every node's index (``hub search status``, ``/healthz``) and no two nodes share one;
- the ``position`` file inside the index directory, which goes away with the index,
  so a deleted or new index directory starts again from 0 even when the node's row
  survives (a node reinstalled under the same name).

The position used is the lower of the two (a replayed batch changes nothing: documents
are written by key), so neither a lost row nor a lost directory skips an event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from hub.db import WRITE, projection_positions
from hub.search.index import SearchIndex

if TYPE_CHECKING:
    from hub.bootstrap import Hub

PREFIX = "search:"


def node_key(node: str) -> str:
    return f"{PREFIX}{node}"


def node_name(hub: Hub) -> str:
    return str(hub.settings.node_name)


def stored_position(conn: sa.Connection, node: str) -> int | None:
    value = conn.execute(sa.select(projection_positions.c.position).where(
        projection_positions.c.name == node_key(node))).scalar()
    return None if value is None else int(value)


def position(hub: Hub, index: SearchIndex) -> int:
    """This node's index position: the lower of its row and its directory's file."""
    local = index.position()
    with hub.engine.connect() as conn:
        row = stored_position(conn, node_name(hub))
    return local if row is None else min(local, row)


def save(hub: Hub, index: SearchIndex, reached: int) -> None:
    """Record ``reached`` after a Whoosh commit: the directory's file, then the row."""
    index.save_position(reached)
    key = node_key(node_name(hub))
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        updated = conn.execute(sa.update(projection_positions).where(
            projection_positions.c.name == key).values(position=reached)).rowcount
        if not updated:
            conn.execute(sa.insert(projection_positions).values(name=key, position=reached))


def all_nodes(conn: sa.Connection) -> dict[str, int]:
    """Every node's recorded index position, by node name (for ``hub search status``)."""
    rows = conn.execute(sa.select(projection_positions.c.name, projection_positions.c.position)
                        .where(projection_positions.c.name.startswith(PREFIX))).all()
    return {str(r.name)[len(PREFIX):]: int(r.position) for r in sorted(rows)}
