"""SQLite writers of several processes queue on one file lock (``hub.writer_lock``)."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.db import WRITE, make_engine, metadata, sequences
from hub.writer_lock import WriterLock


def _hold(database: str, held: object, release: object) -> None:
    lock = WriterLock(Path(database))
    lock.acquire(timeout=5)
    held.set()  # type: ignore[attr-defined]
    release.wait(30)  # type: ignore[attr-defined]
    lock.release()


def test_a_second_process_waits_for_the_lock_and_gets_it_at_once(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path / "hub.db"), held, release))
    holder.start()
    try:
        assert held.wait(60)
        lock = WriterLock(tmp_path / "hub.db")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            lock.acquire(timeout=0.3)
        release.set()
        start = time.monotonic()
        lock.acquire(timeout=30)
        assert time.monotonic() - start < 5
        lock.release()
    finally:
        release.set()
        holder.join(30)


def test_a_forked_child_does_not_share_its_parents_lock(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "hub.db")
    lock.acquire(timeout=1)
    pid = os.fork()
    if pid == 0:  # the child must not get the lock while the parent holds it
        try:
            lock.acquire(timeout=0.3)
            os._exit(1)
        except sqlite3.OperationalError:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    lock.release()
    assert os.waitstatus_to_exitcode(status) == 0


def _count_up(url: str, times: int) -> None:
    engine = make_engine(url)
    for _ in range(times):
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            value = conn.execute(sa.select(sequences.c.value).where(
                sequences.c.name == "n")).scalar_one()
            conn.execute(sa.update(sequences).where(sequences.c.name == "n")
                         .values(value=value + 1))
    engine.dispose()


def test_writers_of_several_processes_lose_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(url)
    metadata.create_all(engine, tables=[sequences])
    with engine.begin() as conn:
        conn.execute(sa.insert(sequences).values(name="n", value=0))
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_count_up, args=(url, 200)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(sequences.c.value)).scalar_one() == 600
    assert (tmp_path / "hub.db-writer.lock").exists()
    engine.dispose()
