"""``llmring calls`` and ``llmring stats`` over a store filled with known rows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.calls import parse_since
from llmring.cli.main import app
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord

NOW = datetime.now(UTC)


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "calls.db"
    records = [
        CallRecord(
            origin="app",
            id_at_origin="alice",
            provider="openai",
            model_name="gpt-4o-mini",
            prompt_tokens=1000,
            completion_tokens=500,
            estimated_cost=Decimal("0.00045"),
            response_time_ms=120,
            called_at=NOW - timedelta(minutes=5),
        ),
        CallRecord(
            origin="app",
            id_at_origin="bob",
            provider="anthropic",
            model_name="claude-sonnet-4-20250514",
            status="error",
            error_type="AuthenticationError",
            error_message="anthropic: invalid x-api-key",
            response_time_ms=40,
            called_at=NOW - timedelta(hours=2),
        ),
        CallRecord(
            origin="cli",
            id_at_origin="alice",
            provider="openai",
            model_name="gpt-4o-mini",
            cache_hit=True,
            estimated_cost=Decimal(0),
            cache_savings=Decimal("0.00045"),
            response_time_ms=1,
            called_at=NOW - timedelta(days=3),
        ),
        CallRecord(
            origin="cli",
            id_at_origin="carol",
            provider="openai",
            model_name="o1-preview",
            prompt_tokens=10,
            completion_tokens=10,
            estimated_cost=None,
            response_time_ms=900,
            called_at=NOW - timedelta(days=40),
        ),
    ]

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.record_api_calls(records)

    asyncio.run(fill())
    return path


def test_calls_table(db: Path) -> None:
    r = run(db, "calls")
    assert r.exit_code == 0, r.output
    for text in ("app/alice", "openai:gpt-4o-mini", "$0.00045", "AuthenticationError", "unpriced", "cached"):
        assert text in r.stdout
    assert r.stdout.index("app/alice") < r.stdout.index("app/bob")  # newest first


def test_calls_json_and_filters(db: Path) -> None:
    data = json.loads(run(db, "calls", "--json").stdout)
    assert len(data) == 4 and data[0]["id_at_origin"] == "alice" and data[0]["estimated_cost"] == "0.00045"
    assert data[-1]["unpriced"] is True and data[-1]["estimated_cost"] is None
    assert [c["id_at_origin"] for c in json.loads(run(db, "calls", "--json", "--user", "alice").stdout)] == [
        "alice",
        "alice",
    ]
    assert len(json.loads(run(db, "calls", "--json", "--origin", "cli").stdout)) == 2
    assert len(json.loads(run(db, "calls", "--json", "--status", "error").stdout)) == 1
    assert len(json.loads(run(db, "calls", "--json", "--model", "openai:gpt-4o-mini").stdout)) == 2
    assert len(json.loads(run(db, "calls", "--json", "--since", "1d").stdout)) == 2
    since = (NOW - timedelta(days=10)).date().isoformat()
    assert len(json.loads(run(db, "calls", "--json", "--since", since).stdout)) == 3
    assert len(json.loads(run(db, "calls", "--json", "-n", "1").stdout)) == 1


def test_calls_search(db: Path) -> None:
    def found(*args: str) -> list[str]:
        return [f"{c['origin']}/{c['id_at_origin']}" for c in json.loads(run(db, "calls", "--json", *args).stdout)]

    assert found("--search", "X-API-KEY") == ["app/bob"]  # the error message, any case
    assert found("-s", "o1-") == ["cli/carol"]  # the model
    assert found("--search", "anthropic:claude") == ["app/bob"]  # provider:model
    assert found("--search", "cli") == ["cli/alice", "cli/carol"]  # the origin
    assert found("--search", "%") == []  # literal, not a wildcard
    assert found("--search", "alice", "--origin", "app") == ["app/alice"]  # with the other filters


def test_calls_bad_options(db: Path) -> None:
    bad_status = run(db, "calls", "--status", "weird")
    assert bad_status.exit_code == 2 and "unknown status" in bad_status.stderr
    bad_since = run(db, "calls", "--since", "yesterday")
    assert bad_since.exit_code == 2 and "--since 'yesterday'" in bad_since.stderr


def _empty_database(tmp_path: Path) -> Path:
    path = tmp_path / "empty.db"

    async def create() -> None:
        async with SQLiteDatabase(path):
            pass

    asyncio.run(create())
    return path


def test_calls_empty_database(tmp_path: Path) -> None:
    r = run(_empty_database(tmp_path), "calls")
    assert r.exit_code == 0 and "No calls logged yet" in r.stderr


def test_parse_since() -> None:
    now = datetime(2026, 11, 10, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 11, 3, tzinfo=UTC)
    assert parse_since("12h", now) == datetime(2026, 11, 9, 12, tzinfo=UTC)
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)


def test_stats_table(db: Path) -> None:
    r = run(db, "stats")
    assert r.exit_code == 0, r.output
    assert "Usage over the last 30 day(s)" in r.stdout
    assert "Calls" in r.stdout and "66.7%" in r.stdout  # 2 of 3 calls in the window succeeded
    assert "$0.00045" in r.stdout and "openai:gpt-4o-mini" in r.stdout


def test_stats_json(db: Path) -> None:
    data = json.loads(run(db, "stats", "--json").stdout)
    totals = data["totals"]
    assert totals["total_calls"] == 3 and totals["cache_hits"] == 1
    assert totals["total_cost"] == "0.00045" and totals["cache_savings"] == "0.00045"
    assert {row["key"] for row in data["breakdown"]} == {"openai:gpt-4o-mini", "anthropic:claude-sonnet-4-20250514"}
    everything = json.loads(run(db, "stats", "--json", "--days", "0").stdout)
    assert everything["totals"]["total_calls"] == 4 and everything["totals"]["unpriced_calls"] == 1
    by_origin = json.loads(run(db, "stats", "--json", "--by", "origin").stdout)
    assert {row["key"] for row in by_origin["breakdown"]} == {"app", "cli"}
    alice = json.loads(run(db, "stats", "--json", "--user", "alice", "--origin", "app").stdout)
    assert alice["totals"]["total_calls"] == 1
    by_day = json.loads(run(db, "stats", "--json", "--by", "day", "--days", "7").stdout)
    assert len(by_day["breakdown"]) >= 2


def test_stats_negative_days_is_exit_2(db: Path) -> None:
    r = run(db, "stats", "--days", "-1")
    assert r.exit_code == 2 and "--days" in r.stderr


def test_stats_empty(tmp_path: Path) -> None:
    r = run(_empty_database(tmp_path), "stats")
    assert r.exit_code == 0 and "No calls logged" in r.stderr
