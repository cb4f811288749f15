"""SQLite failures surface as one-line ``DatabaseError``s that name the file, never raw sqlite3 errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import DatabaseError
from tests.db.conftest import Clock
from tests.db.test_store_contract import call
from tests.migration_names import migration_names


def one_line(exc: pytest.ExceptionInfo[DatabaseError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


async def test_directory_under_a_file_is_unopenable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    path = blocker / "llmring.db"
    with pytest.raises(DatabaseError) as exc:
        await SQLiteDatabase(path).initialize()
    assert str(path) in one_line(exc)


async def test_path_that_is_a_directory_is_unopenable(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="unable to open") as exc:
        await SQLiteDatabase(tmp_path).initialize()
    assert str(tmp_path) in one_line(exc)


async def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database, " * 200)
    with pytest.raises(DatabaseError, match="not an SQLite database") as exc:
        await SQLiteDatabase(path).initialize()
    assert str(path) in one_line(exc)


async def test_read_only_database_refuses_writes(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "ro.db"
    async with SQLiteDatabase(path) as db:
        await db.record_api_call(call(clock))
    # A read-only open works the same for root, whom file permissions do not stop.
    async with SQLiteDatabase(f"file:{path}?mode=ro") as ro:
        assert await ro.count_calls() == 1
        with pytest.raises(DatabaseError, match="read-only") as exc:
            await ro.record_api_call(call(clock))
        assert str(path) in one_line(exc)
        assert await ro.count_calls() == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
async def test_read_only_file_permissions(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "perm.db"
    async with SQLiteDatabase(path) as db:
        await db.record_api_call(call(clock))
    for p in tmp_path.iterdir():
        p.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(DatabaseError) as exc:
            async with SQLiteDatabase(path) as db:
                await db.record_api_call(call(clock))
        assert str(path) in one_line(exc)
    finally:
        tmp_path.chmod(0o755)


async def test_disk_full(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "full.db"
    async with SQLiteDatabase(path) as db:
        conn = await db._db()
        async with conn.execute("PRAGMA page_count") as cur:
            row = await cur.fetchone()
        assert row is not None
        await conn.execute(f"PRAGMA max_page_count = {row[0]}")
        with pytest.raises(DatabaseError, match="full") as exc:
            await db.record_api_calls([call(clock, error_message="x" * 2000) for _ in range(200)])
        assert str(path) in one_line(exc)
        assert await db.count_calls() == 0
        await conn.execute("PRAGMA max_page_count = 1000000")
        assert await db.record_api_calls([call(clock) for _ in range(200)]) == 200


async def test_locked_database_times_out_with_a_clear_error(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "locked.db"
    async with SQLiteDatabase(path):
        pass
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        async with SQLiteDatabase(path, busy_timeout_ms=50) as db:
            with pytest.raises(DatabaseError, match="locked") as exc:
                await db.record_api_call(call(clock))
            assert "another process" in one_line(exc)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_several_processes_log_into_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    script = textwrap.dedent(
        """
        import asyncio, sys
        from llmring.db_sqlite import SQLiteDatabase
        from llmring.schemas import CallRecord

        async def main(path, tag):
            async with SQLiteDatabase(path) as db:
                for i in range(20):
                    await db.record_api_calls([
                        CallRecord(origin=tag, provider="openai", model_name="m", prompt_tokens=1)
                        for _ in range(10)
                    ])
                    await db.record_api_call(origin=tag, provider="openai", model_name="m", prompt_tokens=1)

        asyncio.run(main(sys.argv[1], sys.argv[2]))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), f"p{i}"], stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM llm_api_calls").fetchone()[0] == 4 * 20 * 11
        assert conn.execute("SELECT SUM(calls), SUM(prompt_tokens) FROM llm_usage_daily").fetchone() == (880, 880)
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(migration_names())
