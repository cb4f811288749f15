"""Logging never fails a call, never loses a row, and never stores a key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import DatabaseError
from llmring.log_writer import BackgroundWriter
from llmring.schemas import CallRecord
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import API_KEY, OpenAIFake
from tests.faults.db_fault_helpers import eventually
from tests.service.conftest import request, rows


class FlakyStore:
    """A real SQLite store whose writes fail while ``down`` is set (an unreachable database)."""

    def __init__(self, inner: SQLiteDatabase) -> None:
        self.inner = inner
        self.down = True
        self.failed_writes = 0

    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        if self.down:
            self.failed_writes += 1
            raise DatabaseError("database is unreachable")
        return await self.inner.record_api_calls(records)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_rows_wait_while_the_database_is_down_then_all_arrive(
    openai_fake: OpenAIFake, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(SQLiteDatabase(db_path))
    ring = LLMRingSQLite(db_path)
    assert ring._lazy_store is not None
    ring._lazy_store.store = flaky  # type: ignore[assignment]
    assert ring.writer is not None
    ring.writer.retry_initial = ring.writer.retry_max = 0.01
    with caplog.at_level(logging.WARNING, logger="llmring.calls"):
        responses = await asyncio.gather(*(ring.chat(request(f"call {i}")) for i in range(20)))
        assert len(responses) == 20  # every call succeeded while the log could not be written
        # (as long as a loaded machine takes: a fixed 0.2 s did not always see the second failure)
        await eventually(lambda: flaky.failed_writes >= 2, timeout=20)
        # >= 20: a burst of connections to the threaded fake can earn a retried attempt row
        queued = ring.writer.unwritten
        assert queued >= 20
        flaky.down = False
        assert await ring.flush(timeout=5) == 0
    await ring.close()
    found = rows(db_path)
    assert len(found) == queued
    assert len([r for r in found if r["final"]]) == 20
    assert {r["call_id"] for r in found} == {r.metadata["call_id"] for r in responses}
    assert "call-log row(s), will retry: database is unreachable" in caplog.text


async def test_close_reports_rows_that_could_not_be_written(
    openai_fake: OpenAIFake, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ring = LLMRingSQLite(db_path)
    assert ring._lazy_store is not None
    ring._lazy_store.store = FlakyStore(SQLiteDatabase(db_path))  # type: ignore[assignment]
    await ring.chat(request())
    await ring.chat(request())
    with caplog.at_level(logging.WARNING, logger="llmring.calls"):
        await ring.close(timeout=0.2)
    assert ring.writer is not None and ring.writer.unwritten == 2
    assert "2 call-log row(s) could not be written" in caplog.text


async def test_unopenable_database_does_not_fail_calls(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    ring = LLMRingSQLite(blocker / "calls.db")
    response = await ring.chat(request(temperature=0, cache={"enabled": True}))
    assert response.content.startswith("Echo")
    assert response.usage["cost"] > 0  # priced from the bundled registry
    with pytest.raises(DatabaseError):
        await ring.get_usage_stats()
    await ring.close(timeout=0.1)
    assert ring.writer is not None and ring.writer.unwritten == 1


async def test_writer_batches_concurrent_rows() -> None:
    batches: list[int] = []

    class CountingStore:
        async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
            batches.append(len(records))
            return len(records)

    async def get_store() -> Any:
        return CountingStore()

    writer = BackgroundWriter(get_store, batch_size=100)
    for i in range(250):
        writer.put(CallRecord(provider="openai", model_name=f"m{i}"))
    assert await writer.flush(timeout=2) == 0
    assert batches == [100, 100, 50] and writer.written == 250
    assert await writer.close() == 0


async def test_api_key_never_reaches_the_database_file(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path) as ring:
        await ring.chat(request(metadata={"api_key": API_KEY, "authorization": f"Bearer {API_KEY}"}))
        await ring.chat(request(f"my key is {API_KEY}"))
        openai_fake.api_key = "sk-another-key-for-the-401-0000"
        with pytest.raises(Exception, match="Incorrect API key"):
            await ring.chat(request())
        openai_fake.api_key = API_KEY
        async for _ in ring.chat_stream(request(temperature=0, cache={"enabled": True})):
            pass
        await ring.flush()
        assert len(rows(db_path)) == 4
    secret = API_KEY.encode()
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert files
    for path in files:
        assert secret not in path.read_bytes(), path.name
        assert b"Bearer" not in path.read_bytes(), path.name


FORGETFUL_SCRIPT = """
import asyncio
from llmring import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite

service = LLMRingSQLite("forgetful.db")  # never closed


async def main():
    await service.chat(LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="Hi")]))
    await service.chat(LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="Bye")]))

asyncio.run(main())
print("done")
"""


def test_forgotten_close_neither_hangs_nor_loses_rows(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "OPENAI_BASE_URL": f"{openai_fake.base_url}/v1", "OPENAI_API_KEY": API_KEY}
    out = subprocess.run(
        [sys.executable, "-c", FORGETFUL_SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert len(rows(tmp_path / "forgetful.db")) == 2
