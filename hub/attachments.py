"""Content-addressed blob store for attachments and raw mail: one interface, two homes.

Events carry only the sha256, name, type and size of a blob; the bytes live in a
blob store, written durably before any event or inbox row refers to them, so a replay
or a retried delivery never duplicates or loses a file.

On SQLite (one node) the bytes are files under the data dir (``BlobStore``). On
PostgreSQL any node may be asked for what another node stored, and nodes share no
filesystem, so the bytes live in the database's ``blobs`` table
(``DatabaseBlobStore``). ``blob_store(hub)`` picks one by the database dialect; callers
only see ``Blobs``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from hub.db import WRITE, metadata
from hub.eventstore import utcnow

if TYPE_CHECKING:
    from hub.bootstrap import Hub

SHA256 = re.compile(r"^[0-9a-f]{64}$")

blobs_table = sa.Table(
    "blobs",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


class Blobs(Protocol):
    """What every caller needs from a blob store."""

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its sha256 (idempotent)."""

    def get(self, digest: str) -> bytes:
        """The bytes of ``digest``; raises ``FileNotFoundError`` when unknown."""

    def exists(self, digest: str) -> bool:
        """Whether ``digest`` is stored (``False`` for anything that is not a sha256)."""


def blob_store(hub: Hub) -> Blobs:
    """The hub's blob store: in the database on PostgreSQL, files under the data dir
    otherwise (SQLite is one node, and files keep the database small)."""
    return open_blobs(hub.engine, hub.settings.data_dir)


def open_blobs(engine: Engine, data_dir: Path) -> Blobs:
    if engine.dialect.name == "postgresql":
        return DatabaseBlobStore(engine)
    return BlobStore(Path(data_dir) / "blobs")


def _check(digest: str) -> str:
    if not SHA256.match(digest):
        raise ValueError("not a sha256 digest")
    return digest


class BlobStore:
    """Files named by digest under ``root``, fsynced (file and directory) before ``put``
    returns."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        _check(digest)
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its sha256 (idempotent)."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        return SHA256.match(digest) is not None and self.path(digest).exists()


class DatabaseBlobStore:
    """Rows of the ``blobs`` table (PostgreSQL): committed before ``put`` returns, so a
    digest handed to another node (in an inbox row or an event) is readable there."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(postgresql.insert(blobs_table).values(
                digest=digest, data=data, size=len(data), created_at=utcnow())
                .on_conflict_do_nothing(index_elements=[blobs_table.c.digest]))
        return digest

    def get(self, digest: str) -> bytes:
        with self.engine.connect() as conn:
            data = conn.execute(sa.select(blobs_table.c.data)
                                .where(blobs_table.c.digest == _check(digest))).scalar()
        if data is None:
            raise FileNotFoundError(f"no blob {digest}")
        return bytes(data)

    def exists(self, digest: str) -> bool:
        if SHA256.match(digest) is None:
            return False
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.literal(1))
                                .where(blobs_table.c.digest == digest)).first() is not None
