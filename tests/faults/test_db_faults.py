"""Database faults: calls keep working while the store cannot write, and no log row is lost.

PostgreSQL is stopped mid-run (a real server of this module's own) and restarted: every row
made while it was down arrives once it is back. A store that never comes back, a read-only
SQLite file and a full disk (``PRAGMA max_page_count``) leave the calls untouched, log one
clear line naming the database, and ``close()`` reports exactly the rows it could not write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from llmring import LLMRing
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import DatabaseError
from llmring.schemas import CallRecord
from llmring.service_sqlite import LLMRingSQLite
from llmring.store import Store
from tests.faults.db_fault_helpers import (  # the fixtures are used by name
    Outage,
    _restartable_server,  # noqa: F401
    eventually,
    llmring_warnings,
    outage_fixture,  # noqa: F401
    pg_calls,
    request,
)
from tests.service.conftest import _openai_server, openai_fake, rows  # noqa: F401  (fixtures, used by name)

pytestmark = pytest.mark.usefixtures("openai_fake")

SLOW_CALL = 1.0  # seconds: a call that waits on the database would take far longer than the fake


async def timed_calls(ring: LLMRing, prefix: str, count: int, **kw: Any) -> tuple[list[str], float]:
    """Make ``count`` calls one after another; their call ids and the slowest call's time."""
    ids, slowest = [], 0.0
    for i in range(count):
        started = time.monotonic()
        response = await ring.chat(request(f"{prefix} {i}", **kw))
        slowest = max(slowest, time.monotonic() - started)
        assert response.content.startswith("Echo")
        ids.append(response.metadata["call_id"])
    return ids, slowest


# -- PostgreSQL ---------------------------------------------------------------------------------
@pytest.mark.postgres
async def test_postgres_stopped_mid_run_and_restarted_loses_no_row(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    ring = LLMRing(db_connection_string=outage.url)
    assert ring.writer is not None
    caplog.set_level(logging.WARNING)
    before = await asyncio.gather(*(ring.chat(request(f"before {i}")) for i in range(20)))
    # Stopped straight away: some of those 20 rows are still queued or being written.
    await outage.stop()
    during, slowest = await timed_calls(ring, "during", 15)
    assert slowest < SLOW_CALL  # no call waited on the dead database
    await eventually(lambda: ring.writer is not None and ring.writer.write_failures >= 1)
    assert ring.writer.unwritten >= 15
    outage.start()
    assert await ring.flush(timeout=10) == 0, ring.writer.last_error
    await ring.close(timeout=1)
    assert ring.writer.unwritten == 0

    found = await pg_calls(outage.url)
    expected = {r.metadata["call_id"] for r in before} | set(during)
    assert len(expected) == 35
    assert {r["call_id"] for r in found if r["final"]} == expected
    assert len([r for r in found if r["final"]]) == 35  # each exactly once: none lost, none doubled
    port = f"127.0.0.1:{outage.server.port}"
    retry = [m for m in llmring_warnings(caplog) if "will retry" in m]
    assert retry and port in retry[0] and "\n" not in retry[0]
    assert not [m for m in llmring_warnings(caplog) if "could not be written" in m]


@pytest.mark.postgres
async def test_flush_after_an_outage_does_not_wait_out_the_retry_backoff(outage: Outage) -> None:
    # After a long outage the writer's backoff has grown (to 5 s by default); once the
    # database is back, flush() and close() must retry now, not when the backoff ends.
    ring = LLMRing(db_connection_string=outage.url)
    assert ring.writer is not None
    ring.writer.retry_initial = ring.writer.retry_max = 60.0
    await timed_calls(ring, "before", 3)
    assert await ring.flush(timeout=5) == 0
    await outage.stop()
    during, _ = await timed_calls(ring, "during", 5)
    await eventually(lambda: ring.writer is not None and ring.writer.write_failures >= 1)
    outage.start()
    started = time.monotonic()
    assert await ring.flush(timeout=5) == 0
    assert time.monotonic() - started < 3
    await ring.close(timeout=1)
    assert {r["call_id"] for r in await pg_calls(outage.url)} >= set(during)
    assert len(await pg_calls(outage.url)) == 8


class AnswerLostStore:
    """The ring's real store, except that the first write's answer is lost after it committed
    (the connection dropped as the server stopped): that write raises, yet its rows are in."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.lost_answers = 0

    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        count = await self.inner.record_api_calls(records)
        if not self.lost_answers:
            self.lost_answers += 1
            raise DatabaseError("PostgreSQL: connection was closed in the middle of operation")
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.postgres
async def test_a_write_that_committed_but_lost_its_answer_is_not_retried_forever(outage: Outage) -> None:
    # Retrying it blindly fails on its own duplicate ids, forever, with every later row behind it.
    ring = LLMRing(db_connection_string=outage.url)
    assert ring.writer is not None
    ring.writer.retry_initial = ring.writer.retry_max = 0.01
    lossy = AnswerLostStore(await ring._open_store())
    assert ring._lazy_store is not None
    ring._lazy_store.store = lossy
    ids, _ = await timed_calls(ring, "call", 5)
    assert await ring.flush(timeout=5) == 0, ring.writer.last_error
    await ring.close(timeout=1)
    assert lossy.lost_answers == 1 and ring.writer.written == 5
    assert sorted(r["call_id"] for r in await pg_calls(outage.url)) == sorted(ids)  # each row once


@pytest.mark.postgres
async def test_postgres_down_until_close_reports_the_rows_made_while_down(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    ring = LLMRing(db_connection_string=outage.url)
    assert ring.writer is not None
    await timed_calls(ring, "before", 4)
    assert await ring.flush(timeout=5) == 0
    await outage.stop()
    _, slowest = await timed_calls(ring, "during", 6)
    assert slowest < SLOW_CALL
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    await ring.close(timeout=0.5)
    assert time.monotonic() - started < 3
    assert ring.writer.unwritten == 6

    reports = [m for m in llmring_warnings(caplog) if "could not be written" in m or "not written" in m]
    assert len(reports) == 1, reports  # one clear report, not a second one from a re-opened store
    assert reports[0].startswith("llmring: 6 call-log row(s) could not be written")
    assert f"127.0.0.1:{outage.server.port}" in reports[0] and "\n" not in reports[0]
    outage.start()
    assert len(await pg_calls(outage.url)) == 4  # the rows made before the outage, nothing else


# -- SQLite ---------------------------------------------------------------------------------------
async def test_sqlite_read_only_file_calls_return_and_close_reports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "calls.db"
    async with LLMRingSQLite(path) as ring:
        await timed_calls(ring, "before", 3)
    # Read-only for root too (file permissions would not stop root).
    ring = LLMRingSQLite(f"file:{path}?mode=ro")
    assert ring.writer is not None
    caplog.set_level(logging.WARNING)
    _, slowest = await timed_calls(ring, "read-only", 5)
    assert slowest < SLOW_CALL
    await eventually(lambda: ring.writer is not None and ring.writer.write_failures >= 1)
    await ring.close(timeout=0.3)
    assert ring.writer.unwritten == 5

    retry, report = llmring_warnings(caplog)
    assert str(path) in retry and "\n" not in retry
    assert "attempt to write a readonly database" in retry
    assert "read-only: make the file and its directory writable" in retry
    assert report.startswith("llmring: 5 call-log row(s) could not be written") and str(path) in report
    assert len(rows(path)) == 3


async def fill_disk(ring: LLMRingSQLite) -> None:
    """Let the ring's database grow no more (a full disk, as SQLite sees it)."""
    store = await ring._open_store()
    assert isinstance(store, SQLiteDatabase)
    conn = await store._db()
    await conn.execute("CREATE TABLE IF NOT EXISTS disk_filler (b BLOB)")
    async with conn.execute("PRAGMA page_count") as cur:
        row = await cur.fetchone()
    assert row is not None
    await conn.execute(f"PRAGMA max_page_count = {row[0]}")
    # Free pages left inside the file (from earlier deletes) would still take a row or two, so
    # whether the first bulky row fits would depend on timing: use them up with filler first.
    for size in (4000, 1000, 100):
        with contextlib.suppress(sqlite3.OperationalError):  # "database or disk is full"
            while True:
                await conn.execute("INSERT INTO disk_filler VALUES (zeroblob(?))", (size,))


async def free_disk(ring: LLMRingSQLite) -> None:
    store = await ring._open_store()
    assert isinstance(store, SQLiteDatabase)
    await (await store._db()).execute("PRAGMA max_page_count = 1000000")


# Larger than a page: a row that needs new pages, which a full disk has not (one value is cut to
# 500 characters in the row, so many keys).
BULKY = {f"note{i}": "x" * 400 for i in range(20)}


@pytest.mark.parametrize("space_freed", [True, False], ids=["space-freed", "still-full-at-close"])
async def test_sqlite_disk_full_calls_return_and_nothing_partial_is_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, space_freed: bool
) -> None:
    path = tmp_path / "calls.db"
    ring = LLMRingSQLite(path)
    assert ring.writer is not None
    await timed_calls(ring, "before", 3)
    assert await ring.flush(timeout=5) == 0
    await fill_disk(ring)
    caplog.set_level(logging.WARNING)
    during, slowest = await timed_calls(ring, "full", 5, metadata=BULKY)
    assert slowest < SLOW_CALL
    await eventually(lambda: ring.writer is not None and ring.writer.write_failures >= 1)
    assert ring.writer.unwritten == 5
    assert len(rows(path)) == 3  # a failed batch leaves no partial rows behind

    retry = llmring_warnings(caplog)[0]
    assert str(path) in retry and "\n" not in retry
    assert "database or disk is full (no space left for the database: free some disk space)" in retry
    if space_freed:
        await free_disk(ring)
        assert await ring.flush(timeout=5) == 0
        await ring.close(timeout=1)
        assert {r["call_id"] for r in rows(path)} >= set(during)
        assert len(rows(path)) == 8
    else:
        await ring.close(timeout=0.3)
        assert ring.writer.unwritten == 5
        assert llmring_warnings(caplog)[-1].startswith("llmring: 5 call-log row(s) could not be written")
        assert len(rows(path)) == 3
