"""Issue 19: a bounded row queue that spills to a local file, replayed on the next open, and
``durability="sync"`` (the row is committed before the call returns)."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import llmring.lazy_store
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import ConfigurationError, DatabaseError
from llmring.schemas import CallRecord
from llmring.service_sqlite import LLMRingSQLite
from llmring.settings import DatabaseTarget
from llmring.spill import replay, spill, spill_dir
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import _openai_server, openai_fake, request, rows  # noqa: F401


def final_ids(path: Path) -> set[str]:
    return {r["call_id"] for r in rows(path) if r["final"]}


def blocked(tmp_path: Path) -> Path:
    """A database path that cannot be opened (a file stands where its directory should be)."""
    (tmp_path / "data").write_text("not a directory")
    return tmp_path / "data" / "calls.db"


def unblock(tmp_path: Path) -> None:
    (tmp_path / "data").unlink()
    (tmp_path / "data").mkdir()


async def test_the_queue_is_bounded_spills_and_is_replayed_on_next_open(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = blocked(tmp_path)
    ring = LLMRingSQLite(path, max_queue=5)
    assert ring.writer is not None
    caplog.set_level(logging.WARNING)
    ids = [(await ring.chat(request("first"))).metadata["call_id"]]
    for _ in range(100):  # the bound holds once the database has failed (a slow one is not spilled)
        if ring.writer.write_failures:
            break
        await asyncio.sleep(0.02)
    for i in range(11):
        response = await ring.chat(request(f"call {i}"))
        ids.append(response.metadata["call_id"])
        assert ring.writer.queued <= 5
    await ring.close(timeout=0.2)
    assert ring.writer.unwritten == 12 and ring.writer.spilled == 12
    spilled = [m for m in caplog.messages if "saved to" in m]
    assert spilled and spilled[-1].startswith("llmring: ") and "written when the database is next opened" in spilled[-1]
    directory = spill_dir(DatabaseTarget(sqlite_path=path).identity())
    assert sum(len(p.read_text().splitlines()) for p in directory.iterdir()) >= 3  # chunks of rows

    unblock(tmp_path)
    async with LLMRingSQLite(path) as again:
        await again.chat(request("after"))
    assert final_ids(path) >= set(ids) and len(final_ids(path)) == 13
    assert not list(directory.iterdir())  # replayed files are gone


async def test_replay_skips_chunks_already_stored_and_takes_over_a_dead_replayer(tmp_path: Path) -> None:
    records = [
        CallRecord(origin="t", id_at_origin="u", provider="openai", model_name="gpt-4o-mini", call_id=f"c{i}")
        for i in range(4)
    ]
    directory = tmp_path / "spill"
    first = spill(directory, [records[:2], records[2:]])
    # A replayer that died mid-file left its claim: a dead pid (a finished child's) takes over.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    first.rename(first.with_name(f"{first.name}.replaying-{int(dead.stdout)}"))
    async with SQLiteDatabase(tmp_path / "calls.db") as store:
        await store.record_api_calls(records[:2])  # the first chunk made it before the crash
        assert await replay(directory, store) == 2
        assert await replay(directory, store) == 0
    assert len(rows(tmp_path / "calls.db")) == 4
    assert not list(directory.iterdir())


async def test_a_claim_held_by_a_live_process_is_left_alone(tmp_path: Path) -> None:
    records = [CallRecord(origin="t", id_at_origin="u", provider="openai", model_name="m", call_id="c")]
    directory = tmp_path / "spill"
    path = spill(directory, [records])
    path.rename(path.with_name(f"{path.name}.replaying-{os.getppid()}"))
    async with SQLiteDatabase(tmp_path / "calls.db") as store:
        assert await replay(directory, store) == 0
    assert len(list(directory.iterdir())) == 1


async def test_sync_durability_commits_the_row_before_the_call_returns(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
) -> None:
    path = tmp_path / "calls.db"
    async with LLMRingSQLite(path, durability="sync") as ring:
        for i in range(3):
            response = await ring.chat(request(f"call {i}"))
            assert response.metadata["call_id"] in final_ids(path)
        chunks = [chunk async for chunk in ring.chat_stream(request("streamed"))]
        assert len(final_ids(path)) == 4 and chunks[-1].usage is not None
        await asyncio.gather(*(ring.chat(request(f"together {i}")) for i in range(20)))
        assert len(final_ids(path)) == 24


async def test_sync_durability_raises_when_the_row_cannot_be_committed(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(llmring.lazy_store, "SYNC_TIMEOUT", 0.3)
    ring = LLMRingSQLite(blocked(tmp_path), durability="sync")
    with pytest.raises(DatabaseError, match=r"^the call's log row was not written within 0.3 s \(it stays queued\): "):
        await ring.chat(request())
    await ring.close(timeout=0.1)


def test_bad_durability_and_queue_size_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="durability must be 'batched' or 'sync'"):
        LLMRingSQLite(tmp_path / "x.db", durability="fsync")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="max_queue must be at least 1"):
        LLMRingSQLite(tmp_path / "x.db", max_queue=0)


async def test_a_cold_file_locked_by_another_process_does_not_hold_calls(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 19 item 7: the first calls on a file another process holds locked (while it
    migrates or writes) went on waiting for the store's open; they go ahead and their rows wait."""
    path = tmp_path / "calls.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # the file does not even have a schema yet
    caplog.set_level(logging.WARNING)
    ring = LLMRingSQLite(path)
    took = []
    try:
        for i in range(3):
            started = time.monotonic()
            await ring.chat(request(f"call {i}", temperature=0, cache={"enabled": True}))
            took.append(time.monotonic() - started)
        assert took[0] < 4 and max(took[1:]) < 1  # COLD_OPEN_WAIT (2 s) at most, and once
    finally:
        other.execute("COMMIT")
        other.close()
    assert await ring.flush(timeout=20) == 0
    await ring.close()
    assert len(final_ids(path)) == 3
    assert "locked" not in caplog.text and "unavailable" not in caplog.text
