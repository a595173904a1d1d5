"""The search feature has no SQL tables: its index is Whoosh, under ``data_dir/index``.

Each node's position in the event store is a ``projection_positions`` row
``search:<node>`` plus a file next to the index (``index/position``), so the index
and the position it reflects can never disagree after a crash or a deleted index
(see ``hub.search.tracking``).
"""

from __future__ import annotations
