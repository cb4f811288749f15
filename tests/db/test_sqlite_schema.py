"""SQLite specifics: the exact schema, migrations, stored representation and the daily rollup."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmring._sqlite import codec, usage
from llmring._sqlite.migrations import load_migrations, split_statements
from llmring._store.checks import window_start
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import LLMModel
from tests.db.conftest import Clock
from tests.db.scan_queries import sqlite_scan
from tests.db.test_store_contract import call, random_calls
from tests.migration_names import migration_names

D = Decimal

EXPECTED_COLUMNS = {
    "schema_migrations": ["name", "applied_at"],
    "llm_models": [
        "id", "provider", "model_name", "display_name", "description", "max_context", "max_output_tokens",
        "supports_vision", "supports_function_calling", "supports_json_mode", "supports_parallel_tool_calls",
        "supports_pdf", "supports_streaming", "supports_temperature", "is_reasoning", "tool_call_format",
        "dollars_per_million_tokens_input", "dollars_per_million_tokens_output",
        "dollars_per_million_tokens_cached_input", "dollars_per_million_tokens_cache_write_5m",
        "dollars_per_million_tokens_cache_write_1h", "dollars_per_million_tokens_reasoning",
        "long_context_threshold_tokens", "dollars_per_million_tokens_input_long_context",
        "dollars_per_million_tokens_output_long_context", "source", "as_of", "inactive_from",
        "created_at", "updated_at",
    ],
    "llm_api_calls": [
        "id", "call_id", "attempt", "final", "origin", "id_at_origin", "provider", "model_name", "status",
        "error_type", "error_message", "finish_reason", "prompt_tokens", "completion_tokens",
        "cached_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "reasoning_tokens",
        "estimated_cost_pico", "cost_breakdown", "rate_snapshot", "dollars_per_million_tokens_input_used",
        "dollars_per_million_tokens_output_used", "response_time_ms", "time_to_first_token_ms", "stream",
        "temperature", "max_tokens", "tools_used", "json_mode", "response_format", "cache_hit",
        "cache_savings_pico", "request_id", "request_metadata", "called_at",
    ],
    "llm_usage_daily": [
        "origin", "id_at_origin", "day", "provider", "model_name", "rows", "calls", "successes", "errors",
        "timeouts", "rate_limited", "cache_hits", "unpriced", "prompt_tokens", "completion_tokens",
        "cached_tokens", "reasoning_tokens", "cache_write_tokens", "cost_pico", "cache_savings_pico",
        "latency_ms_sum", "latency_count",
    ],
    "llm_response_cache": ["key", "value", "created_at", "expires_at"],
    # issue 16 (ledger)
    "llm_call_tags": ["key", "value", "called_at", "row_id"],
    "llm_usage_daily_tags": [
        "tag_key", "tag_value", "origin", "id_at_origin", "day", "provider", "model_name", "rows", "calls",
        "successes", "errors", "timeouts", "rate_limited", "cache_hits", "unpriced", "prompt_tokens",
        "completion_tokens", "cached_tokens", "reasoning_tokens", "cache_write_tokens", "cost_pico",
        "cache_savings_pico", "latency_ms_sum", "latency_count",
    ],
    "llm_budgets": [
        "id", "period", "limit_pico", "origin", "id_at_origin", "tag_key", "tag_value", "warn_at", "unpriced",
        "created_at",
    ],
    "llm_budget_holds": ["budget", "call_id", "amount_pico", "expires_at"],
    # 006 (issue 17)
    "llm_content": ["id", "hash", "kind", "text", "extra"],
    "llm_call_content": ["record_id", "position", "content_id"],
}  # fmt: skip
# Migration 002 (issue 12, pricing).
EXPECTED_COLUMNS["llm_api_calls"] += [
    "cache_write_tokens", "cache_write_12h_tokens", "audio_tokens", "cached_audio_tokens", "priced_as", "repriced_from",
]  # fmt: skip
EXPECTED_COLUMNS["llm_models"] += [
    "dollars_per_million_tokens_cache_write", "dollars_per_million_tokens_cache_write_12h",
    "dollars_per_million_tokens_input_audio", "dollars_per_million_tokens_cached_input_audio",
    "aliases", "price_periods", "successor",
]  # fmt: skip
EXPECTED_COLUMNS["llm_registry_versions"] = ["provider", "version", "updated", "source", "applied_at"]
EXPECTED_COLUMNS["llm_api_calls"] += ["alias", "hop"]  # 003 (issue 15)
EXPECTED_COLUMNS["llm_api_calls"] += ["reasoning"]  # 004 (issue 14)
EXPECTED_COLUMNS["llm_api_calls"] += ["tags"]  # 005 (issue 16)
EXPECTED_COLUMNS["llm_api_calls"] += ["conversation_id"]  # 006 (issue 17)
EXPECTED_COLUMNS["llm_models"] += [
    "supports_structured_output", "reasoning_control", "reasoning_levels", "reasoning_budget_min",
    "reasoning_budget_max", "prompt_cache_min_tokens", "responses_only", "note",
]  # 007 (issue 14)  # fmt: skip

EXPECTED_INDEXES = {
    "idx_llm_api_calls_recent": ["called_at", "id"],
    "idx_llm_api_calls_origin": ["origin", "id_at_origin", "called_at"],
    "idx_llm_api_calls_model": ["provider", "model_name", "called_at"],
    "idx_llm_api_calls_status": ["status", "called_at"],
    "idx_llm_usage_daily_day": ["day"],
    "idx_llm_response_cache_expires": ["expires_at"],
    "idx_llm_call_tags_time": ["called_at"],  # issue 16
    "idx_llm_api_calls_alias": ["alias", "called_at"],  # 003 (issue 15)
    "idx_llm_api_calls_conversation": ["conversation_id", "called_at"],  # 006 (issue 17)
    "idx_llm_call_content_content": ["content_id"],
}
# The FTS5 index of captured text (issue 17) and the shadow tables SQLite keeps for it.
FTS_TABLES = {"llm_content_fts", *(f"llm_content_fts_{s}" for s in ("data", "idx", "docsize", "config"))}


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def schema_dump(path: Path) -> list[tuple[Any, ...]]:
    with raw(path) as conn:
        return [tuple(r) for r in conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")]


async def test_fresh_file_gets_exact_tables_columns_and_indexes(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "llmring.db"
    async with SQLiteDatabase(path) as db:
        assert db.applied_migrations == migration_names()
    with raw(path) as conn:
        tables = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        assert tables == set(EXPECTED_COLUMNS) | FTS_TABLES
        for table, columns in EXPECTED_COLUMNS.items():
            assert [r["name"] for r in conn.execute(f"PRAGMA table_info({table})")] == columns, table
        for index, columns in EXPECTED_INDEXES.items():
            assert [r["name"] for r in conn.execute(f"PRAGMA index_info({index})")] == columns, index
        assert [tuple(r) for r in conn.execute("SELECT name FROM schema_migrations")] == [
            (name,) for name in migration_names()
        ]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_call_columns_cover_every_call_record_field() -> None:
    from llmring.schemas import CallRecord

    names = [c.removesuffix("_pico") for c in codec.CALL_COLUMNS]
    assert names == list(CallRecord.model_fields)
    assert set(codec.CALL_COLUMNS) == set(EXPECTED_COLUMNS["llm_api_calls"])


async def test_initialize_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    async with SQLiteDatabase(path) as db:
        await db.initialize()
    before = schema_dump(path)
    async with SQLiteDatabase(path) as db:
        assert db.applied_migrations == []
    assert schema_dump(path) == before


async def test_concurrent_initialisation_applies_each_migration_once(tmp_path: Path) -> None:
    # Many rounds: the race (four connections switching a new file to WAL at once, where SQLite
    # can say "locked" without waiting) hit about one round in fifteen before it was handled.
    for round_ in range(60):
        path = tmp_path / f"race{round_}.db"
        stores = [SQLiteDatabase(path) for _ in range(4)]
        try:
            await asyncio.gather(*(s.initialize() for s in stores))
            assert sorted(name for s in stores for name in s.applied_migrations) == migration_names(), round_
        finally:
            for s in stores:
                await s.close()


async def test_pragmas_per_connection(tmp_path: Path) -> None:
    async with SQLiteDatabase(tmp_path / "p.db", busy_timeout_ms=1234) as db:
        conn = await db._db()
        for pragma, value in (("busy_timeout", 1234), ("foreign_keys", 1), ("synchronous", 1)):
            async with conn.execute(f"PRAGMA {pragma}") as cur:
                row = await cur.fetchone()
            assert row is not None and row[0] == value, pragma


async def test_stored_representation(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "r.db"
    async with SQLiteDatabase(path) as db:
        await db.sync_models(
            [
                LLMModel(
                    provider="ollama",
                    model_name="m",
                    dollars_per_million_tokens_input=D("0"),
                    dollars_per_million_tokens_output=D("0.075"),
                )
            ],
            ["ollama"],
        )
        await db.record_api_call(call(clock, id="c1", estimated_cost=D("0.0001851"), cache_savings=None))
    with raw(path) as conn:
        m = conn.execute("SELECT * FROM llm_models").fetchone()
        assert (m["dollars_per_million_tokens_input"], m["dollars_per_million_tokens_output"]) == ("0", "0.075")
        assert m["dollars_per_million_tokens_cached_input"] is None
        assert m["created_at"] == "2026-03-10T15:30:00.000000Z"
        c = conn.execute("SELECT * FROM llm_api_calls").fetchone()
        assert c["estimated_cost_pico"] == 185_100_000
        assert tuple(
            conn.execute("SELECT typeof(estimated_cost_pico), typeof(final) FROM llm_api_calls").fetchone()
        ) == (
            "integer",
            "integer",
        )
        assert c["cache_savings_pico"] is None
        assert c["called_at"] == "2026-03-10T15:30:00.000000Z"


def test_money_and_time_codecs() -> None:
    assert codec.to_pico(D("0.0001851")) == 185_100_000
    assert codec.to_pico(D("0")) == 0 and codec.to_pico(None) is None
    assert codec.to_pico(D("0.0000000000005")) == 0  # half-even: 0.5 pico rounds to 0
    assert codec.to_pico(D("0.0000000000015")) == 2
    assert str(codec.from_pico(185_100_000)) == "0.0001851"
    assert str(codec.from_pico(0)) == "0" and codec.from_pico(None) is None
    assert str(codec.from_pico(12_000_000_000_000)) == "12"
    assert codec.from_pico(-5) == D("-0.000000000005")
    milli = codec.from_pico(1_000_000_000)
    assert milli == D("0.001") and milli is not None and milli.as_tuple().exponent == -3  # no trailing zeros
    for text in ("1.5", "0.000000000001", "123456.789012345678"):
        assert codec.from_pico(codec.to_pico(D(text))) == D(text)
    with pytest.raises(ValueError):
        codec.to_pico(D("NaN"))
    from datetime import UTC, datetime, timezone

    naive = datetime(2026, 1, 2, 3, 4, 5)
    assert codec.ts(naive) == "2026-01-02T03:04:05.000000Z"
    plus_two = datetime(2026, 1, 2, 5, 4, 5, 7, tzinfo=timezone(timedelta(hours=2)))
    assert codec.ts(plus_two) == "2026-01-02T03:04:05.000007Z"
    assert codec.parse_ts(codec.ts(plus_two)) == plus_two.astimezone(UTC)


def test_timestamps_sort_as_text() -> None:
    from datetime import UTC, datetime

    moments = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=7**i) for i in range(14)]
    assert sorted(codec.ts(m) for m in moments) == [codec.ts(m) for m in sorted(moments)]


async def test_rollup_equals_a_direct_scan(tmp_path: Path, clock: Clock) -> None:
    rows = random_calls(clock, 300, seed=5)
    async with SQLiteDatabase(tmp_path / "u.db") as db:
        await db.record_api_calls(rows[:100])
        for row in rows[100:120]:
            await db.record_api_call(row)
        await db.record_api_calls(rows[120:])
        conn = await db._db()
        columns = ", ".join(f"SUM({c})" for c in usage.AGGREGATES)
        async with conn.execute(
            f"SELECT origin, id_at_origin, day, provider, model_name, {columns} FROM llm_usage_daily"
            " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        ) as cur:
            rollup = [tuple(r) for r in await cur.fetchall()]
        async with conn.execute(
            f"SELECT origin, id_at_origin, substr(called_at, 1, 10), provider, model_name,"
            f" {', '.join(usage.AGGREGATES.values())} FROM llm_api_calls GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        ) as cur:
            scanned = [tuple(r) for r in await cur.fetchall()]
        assert rollup == scanned
        assert len(rollup) > 20
        # And the window queries (rollup + first-day scan) equal a scan of the call log alone.
        for days in (None, 0, 1, 2, 5, 30):
            for by in ("model", "provider", "origin", "day"):
                for origin, user in ((None, None), ("app", "alice")):
                    window = usage.Window(origin, user, since=window_start(days))
                    sql, params = usage.grouped_query(by, window)
                    fast = sorted(tuple(r) for r in await db._fetchall(sql, params))
                    window = usage.Window(origin, user, since=window.since)
                    sql, params = sqlite_scan(by, window)
                    slow = sorted(tuple(r) for r in await db._fetchall(sql, params))
                    assert fast == slow, (by, days, origin, user)


def test_split_statements_respects_strings_comments_and_triggers() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (a TEXT DEFAULT 'x;y');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET a = 'z;' WHERE rowid = new.rowid;
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[0].startswith("CREATE TABLE") and "'x;y'" in statements[0]
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].rstrip().endswith("END;")
    with pytest.raises(RuntimeError, match="incomplete"):
        split_statements("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('never closed")


def test_bundled_migrations_are_named_and_ordered() -> None:
    migrations = load_migrations()
    assert [m.name for m in migrations][:1] == ["001_initial"]
    assert [m.name for m in migrations] == sorted(m.name for m in migrations)
    for migration in migrations:
        assert split_statements(migration.sql)
