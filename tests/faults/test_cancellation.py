"""Cancellation anywhere in a call (the cache path, a store write) leaves the store usable.

A cached call cancelled while the SQLite store's ``BEGIN IMMEDIATE`` was still queued on
aiosqlite's thread used to skip the rollback (``in_transaction`` was still False) and leave the
connection inside a transaction: every later write then failed with "cannot start a transaction
within a transaction" and the rows were lost.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import pytest

from llmring.db_sqlite import SQLiteDatabase
from llmring.log_writer import BackgroundWriter
from llmring.schemas import CallRecord, LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import _openai_server, openai_fake  # noqa: F401


def _cached(text: str) -> LLMRequest:
    return LLMRequest(
        model="openai:gpt-4o-mini",
        messages=[Message(role="user", content=text)],
        temperature=0,
        cache={"enabled": True},
    )


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM llm_api_calls").fetchone()[0])
    finally:
        conn.close()


async def test_300_cancelled_cached_calls_lose_no_row_and_leave_the_store_usable(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "calls.db"
    ring = LLMRingSQLite(path, origin="cancel")
    loop = asyncio.get_running_loop()
    await ring.chat(_cached("warm 0"))  # routes resolved, store open, one entry cached
    begun = loop.time()
    await ring.chat(_cached("warm 1"))
    span = max(loop.time() - begun, 0.001)  # a miss: cut calls anywhere from start to end
    rng = random.Random(19)
    started = 2
    for index in range(300):
        # Half hit the cached entry, half miss (and write a new entry): both paths get cut.
        text = "warm 0" if index % 2 else f"miss {index}"
        with _maybe():
            await asyncio.wait_for(ring.chat(_cached(text)), timeout=rng.uniform(0, span))
        started += 1
    response = await ring.chat(_cached("after"))  # the store still works for calls and the cache
    started += 1
    assert response.content
    assert await ring.flush(timeout=10) == 0
    await ring.close()
    assert _count(path) == started
    assert "within a transaction" not in caplog.text
    assert "could not" not in caplog.text


class _maybe:
    """Swallow the timeout of a cut call (a call that finished in time is fine too)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        return kind is None or kind is TimeoutError or kind is asyncio.TimeoutError


async def test_a_write_cancelled_before_its_begin_ran_rolls_back(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "t.db")
    await db.initialize()
    try:
        for delay in (0, 0.0001, 0.0005, 0.001, 0.002) * 20:
            task = asyncio.ensure_future(db.cache_set(f"k{delay}", {"v": 1}, 60))
            await asyncio.sleep(delay)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await db.cache_set("after", {"v": 2}, 60)  # no "within a transaction"
        assert await db.cache_get("after") == {"v": 2}
    finally:
        await db.close()


async def test_a_transaction_body_cancelled_anywhere_rolls_back(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "t.db")
    await db.initialize()

    async def body(index: int) -> None:
        async with db._transaction() as conn:
            await conn.execute(
                "INSERT INTO llm_response_cache (key, value, created_at, expires_at) VALUES (?, '{}', 'a', 'b')",
                (f"k{index}",),
            )

    try:
        for index in range(100):
            task = asyncio.ensure_future(body(index))
            for _ in range(index % 5):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await body(1000)  # no "within a transaction"
        await db.cache_set("after", {"v": 2}, 60)
        assert await db.cache_get("after") == {"v": 2}
    finally:
        await db.close()


async def test_a_lock_held_by_another_process_past_the_busy_timeout_is_waited_for_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: a batch that met another process's lock for longer than the busy timeout
    printed "could not write N call-log row(s) ... database is locked"; it is a turn to wait."""
    path = tmp_path / "calls.db"
    db = SQLiteDatabase(path, busy_timeout_ms=50)
    await db.initialize()
    writer = BackgroundWriter(_opened(db), max_delay=0.01, retry_initial=0.02, retry_max=0.1)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the other process's long write
        for index in range(5):
            writer.put(CallRecord(origin="o", id_at_origin="u", provider="openai", model_name=f"m{index}"))
        await asyncio.sleep(0.6)  # several busy timeouts pass
        assert writer.unwritten == 5
        other.execute("COMMIT")
        assert await writer.flush(timeout=5) == 0
        assert await writer.close() == 0
    finally:
        other.close()
        await db.close()
    assert _count(path) == 5
    assert writer.write_failures == 0 and writer.last_error is None
    assert "could not write" not in caplog.text and "locked" not in caplog.text


def _opened(db: SQLiteDatabase):  # type: ignore[no-untyped-def]
    async def get() -> SQLiteDatabase:
        return db

    return get
