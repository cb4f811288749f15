"""``llmring calls export`` (issue 16): CSV and JSON lines, exact costs that sum to ``stats --json``."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.calls_export import COLUMNS
from llmring.cli.main import app
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord
from tests.db.test_export_rows import ledger


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "export.db"
    rows = ledger(datetime.now(UTC))
    rows.append(
        CallRecord(
            origin="app",
            provider="openai",
            model_name="gpt-4o-mini",
            status="error",
            error_type="BadRequestError",
            error_message='=HYPERLINK("x"),\n\x1b[2J',
            tags={"note": 'comma, "quote"\nnewline'},
            called_at=datetime.now(UTC) - timedelta(minutes=1),
        )
    )

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.record_api_calls(rows)

    asyncio.run(fill())
    return path


def test_csv_cost_column_sums_to_stats(db: Path) -> None:
    for window in (["--days", "7"], ["--days", "30", "--origin", "app"], ["--user", "user1"]):
        r = run(db, "calls", "export", *window)
        assert r.exit_code == 0, r.output
        table = list(csv.DictReader(io.StringIO(r.stdout)))
        assert list(table[0]) == list(COLUMNS)
        exported = sum((Decimal(row["cost"]) for row in table if row["cost"]), Decimal(0))
        days = window[1] if window[0] == "--days" else "0"
        rest = window[2:] if window[0] == "--days" else window
        stats = run(db, "stats", "--json", "--days", days, *rest)
        assert stats.exit_code == 0, stats.output
        assert exported == Decimal(str(json.loads(stats.stdout)["totals"]["total_cost"]))


def test_jsonl_rows_and_hostile_text(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "calls.jsonl"
    r = run(db, "calls", "export", "--format", "jsonl", "-o", str(out), "--status", "error")
    assert r.exit_code == 0, r.output
    assert "1 rows written" in r.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["error_type"] == "BadRequestError" and row["tags"] == {"note": 'comma, "quote"\nnewline'}
    assert row["cost"] is None and row["final"] is True and set(row) == set(COLUMNS)
    # CSV quoting keeps the awkward tag one cell; the error message is not exported.
    r = run(db, "calls", "export", "--status", "error")
    (cells,) = list(csv.DictReader(io.StringIO(r.stdout)))
    assert json.loads(cells["tags"]) == {"note": 'comma, "quote"\nnewline'}
    assert "\x1b" not in r.stdout


def test_attempts_are_rows_and_filters_narrow(db: Path) -> None:
    r = run(db, "calls", "export", "--tag", "feature=summarise", "--format", "jsonl")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows and all(row["tags"] == {"feature": "summarise"} for row in rows)
    r = run(db, "calls", "export", "--status", "rate_limited", "--format", "jsonl")
    attempts = [json.loads(line) for line in r.stdout.splitlines()]
    assert attempts and all(row["final"] is False and row["attempt"] == 1 and row["cost"] for row in attempts)


def test_empty_window_and_bad_options(db: Path) -> None:
    r = run(db, "calls", "export", "--until", "2000-01-01")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [",".join(COLUMNS)]
    r = run(db, "calls", "export", "--days", "3", "--since", "7d")
    assert r.exit_code == 2 and "--days or --since" in r.output
    r = run(db, "calls", "export", "--format", "xml")
    assert r.exit_code == 2
