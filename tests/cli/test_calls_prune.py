"""``llmring calls prune`` and the ``retention`` setting (issue 16): old rows go, stats stay."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from llmring.db_sqlite import SQLiteDatabase
from tests.db.test_export_rows import ledger


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "prune.db"
    now = datetime.now(UTC)
    rows = ledger(now, 1200)
    for row in rows[::2]:  # half of them three weeks old, with a long error message each
        row.called_at = now - timedelta(days=21)
        row.error_message = "x" * 2000

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.record_api_calls(rows)

    asyncio.run(fill())
    return path


def stats(db: Path) -> object:
    r = run(db, "stats", "--json", "--days", "0", "--by", "day")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_prune_keeps_stats_and_shrinks_the_file(db: Path) -> None:
    before, size = stats(db), db.stat().st_size
    count = len(json.loads(run(db, "calls", "--json", "-n", "10000").stdout))
    r = run(db, "calls", "prune", "--older-than", "2w", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "Would prune 660 calls" in r.stdout and "nothing was deleted" in r.stdout
    assert len(json.loads(run(db, "calls", "--json", "-n", "10000").stdout)) == count

    r = run(db, "calls", "prune", "--older-than", "2w")
    assert r.exit_code == 0, r.output
    assert "Pruned 660 calls" in r.stdout and "daily totals kept" in r.stdout
    assert len(json.loads(run(db, "calls", "--json", "-n", "10000").stdout)) == count - 660
    assert stats(db) == before
    assert db.stat().st_size < size / 2
    r = run(db, "calls", "prune", "--older-than", "2w")
    assert "nothing to prune" in r.stdout


def test_retention_setting_prunes_on_init_db_and_by_default(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "llmring.toml"
    config.write_text('retention = "14d"\n')
    before = stats(db)
    r = run(db, "--config", str(config), "init-db")
    assert r.exit_code == 0, r.output
    assert "Retention (14d): Pruned 660 calls" in r.stdout
    assert stats(db) == before
    r = run(db, "--config", str(config), "calls", "prune", "--dry-run")
    assert r.exit_code == 0 and "Would prune 0 calls" in r.stdout


def test_prune_needs_an_age(db: Path, tmp_path: Path) -> None:
    r = run(db, "calls", "prune")
    assert r.exit_code == 2 and "--older-than AGE" in r.output
    r = run(db, "calls", "prune", "--older-than", "3 months")
    assert r.exit_code == 2 and "use days or weeks" in r.output
    config = tmp_path / "bad.toml"
    config.write_text('retention = "soon"\n')
    r = run(db, "--config", str(config), "calls", "prune")
    assert r.exit_code == 2 and "retention" in r.output
