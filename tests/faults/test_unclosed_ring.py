"""Issue 19: a ring that is never closed still writes every row, on SQLite and PostgreSQL.

The programs are ``tests/faults/forgetful_ring.py``, run as real processes (the end of an event
loop and of a process cannot be faked in-process). Runs are batched: several processes at
once, several loops per process, so 30 runs per backend cost a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db.pg_schemas import fresh_database
from tests.fakes.openai_fake import API_KEY, OpenAIFake
from tests.service.conftest import _openai_server, openai_fake  # noqa: F401  (fixtures, used by name)

ROOT = Path(__file__).resolve().parents[2]
CALLS = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'calls.db'}"
        return
    with fresh_database(request.getfixturevalue("pg_dsn")) as url:
        yield url


def final_rows(database: str) -> int:
    """How many calls reached ``database`` (read with the drivers directly, not the store)."""
    if database.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database.removeprefix("sqlite:///"))
        try:
            return int(conn.execute("SELECT COUNT(*) FROM llm_api_calls WHERE final").fetchone()[0])
        finally:
            conn.close()

    async def count() -> int:
        import asyncpg

        conn = await asyncpg.connect(database)
        try:
            return int(await conn.fetchval("SELECT COUNT(*) FROM llmring.llm_api_calls WHERE final"))
        finally:
            await conn.close()

    return asyncio.run(count())


def run_forgetful(
    fake: OpenAIFake, database: str, mode: str, runs: int, processes: int = 1, *, quiet: bool = True
) -> list[str]:
    """Run ``processes`` forgetful programs at once; their stderr (each must print ``done``, and
    with ``quiet`` no traceback: a loop closed mid-call leaves the drivers' own behind)."""
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"{fake.base_url}/v1",
        "OPENAI_API_KEY": API_KEY,
        "PYTHONWARNINGS": "always::ResourceWarning",
    }
    command = [sys.executable, "-m", "tests.faults.forgetful_ring", database, mode, str(runs), str(CALLS)]
    procs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    errors = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out == "done\n", err
        if quiet:
            assert "Traceback" not in err and "Event loop is closed" not in err, err
        errors.append(err)
    return errors


def test_a_local_ring_never_closed_loses_no_row_over_30_runs(
    openai_fake: OpenAIFake,  # noqa: F811
    database: str,
) -> None:
    # The probe: 5 of 5 rows lost, 6-77 rows lost in every run of a 30-run stress.
    errors = run_forgetful(openai_fake, database, "local", runs=10, processes=3)
    assert final_rows(database) == 30 * CALLS
    for err in errors:
        # Each forgotten ring says so, as an unclosed file does.
        assert err.count("ResourceWarning: LLMRing") == 10, err
        assert "was not closed" in err and "await ring.close()" in err


def test_one_ring_over_several_asyncio_runs_writes_every_loops_rows(
    openai_fake: OpenAIFake,  # noqa: F811
    database: str,
) -> None:
    run_forgetful(openai_fake, database, "loops", runs=4)
    assert final_rows(database) == 4 * CALLS


# SQLite only: on PostgreSQL a connection of the dead loop can hold the schema bootstrap lock
# until the process exits, so the exit path may have to report the rows instead (lazy_store).
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_rows_of_loops_closed_without_cleanup_are_written_at_exit(
    openai_fake: OpenAIFake,  # noqa: F811
    database: str,
) -> None:
    # loop.close() without cancelling its tasks: the loop-end guard never runs, the exit path does.
    run_forgetful(openai_fake, database, "unrun", runs=3, quiet=False)
    assert final_rows(database) == 3 * CALLS
