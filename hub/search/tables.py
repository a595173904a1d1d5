"""The search feature has no SQL tables: its index is Whoosh, under ``data_dir/index``.

Its position in the event store is kept next to the index (``index/position``) so the
index and the position it reflects can never disagree after a crash.
"""

from __future__ import annotations
