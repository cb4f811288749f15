"""What only the PostgreSQL store has: pools, schemas, several processes, the rollup, its errors.

The store contract (tests/db/test_store_contract.py) already runs on PostgreSQL; these tests
cover shared pools and schema isolation, the bootstrap race between processes, connection
errors, the seed's two usage samples and the rollup against a direct scan.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from llmring.db import LLMDatabase
from llmring.errors import ConfigurationError, DatabaseError
from llmring.schemas import CallRecord, LLMModel
from tests.db.pg_schemas import drop_schema, fresh_database, run_sql, unique_schema
from tests.db.scan_queries import comparable, postgres_scan
from tests.migration_names import applied_line, migration_names

pytestmark = pytest.mark.postgres
D = Decimal


def with_password(dsn: str, password: str) -> str:
    parts = urlsplit(dsn)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def fresh_db(pg_dsn: str) -> Iterator[str]:
    """The URL of a brand-new, empty database (dropped afterwards)."""
    with fresh_database(pg_dsn) as url:
        yield url


@pytest.fixture
async def shared_pool(pg_dsn: str) -> AsyncIterator[Any]:
    """A pgdbm shared pool (search_path pinned to pg_catalog), closed afterwards."""
    from pgdbm import AsyncDatabaseManager, DatabaseConfig

    pool = await AsyncDatabaseManager.create_shared_pool(
        DatabaseConfig(connection_string=pg_dsn, min_connections=2, max_connections=8)
    )
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def schemas(pg_dsn: str) -> Any:
    """Hands out unique schema names and drops them after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(unique_schema())
        return made[-1]

    yield make
    for name in made:
        drop_schema(pg_dsn, name)


def call(**fields: Any) -> CallRecord:
    data: dict[str, Any] = {
        "provider": "openai",
        "model_name": "gpt-4o",
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "estimated_cost": D("0.00045"),
        "response_time_ms": 250,
    }
    data.update(fields)
    return CallRecord(**data)


# -- shared pools and schemas --------------------------------------------------------------------


async def test_two_schemas_on_one_shared_pool_never_see_each_other(shared_pool: Any, schemas: Any) -> None:
    from pgdbm import AsyncDatabaseManager

    a = LLMDatabase(db_manager=AsyncDatabaseManager(pool=shared_pool, schema=schemas()))
    b = LLMDatabase(db_manager=AsyncDatabaseManager(pool=shared_pool, schema=schemas()))
    await a.initialize()
    await b.initialize()
    assert a.applied_migrations == b.applied_migrations == migration_names("postgres")

    await a.sync_models([LLMModel(provider="openai", model_name="gpt-4o")], ["openai"])
    first = await a.record_api_call(call(origin="a"))
    # A COPY-sized batch into each schema: the staging tables of the two must not mix.
    await a.record_api_calls([call(origin="a") for _ in range(300)])
    await b.record_api_calls([call(origin="b", model_name="gpt-4o-mini") for _ in range(250)])
    await a.cache_set("k", {"from": "a"}, 60)

    assert await a.count_calls() == 301
    assert await b.count_calls() == 250
    assert await b.list_models(active_only=False) == []
    assert await b.get_call(first) is None
    assert await b.cache_get("k") is None
    assert {c.origin for c in await b.list_recent_calls(limit=1000)} == {"b"}
    assert (await a.get_usage_stats()).most_used_model == "openai:gpt-4o"
    assert (await b.get_usage_stats()).total_calls == 250
    assert [r.key for r in await b.usage_breakdown("origin")] == ["b"]


async def test_injected_manager_close_leaves_the_shared_pool_open(shared_pool: Any, schemas: Any) -> None:
    from pgdbm import AsyncDatabaseManager

    manager = AsyncDatabaseManager(pool=shared_pool, schema=schemas())
    async with LLMDatabase(db_manager=manager) as db:
        assert db.schema == manager.schema
        await db.record_api_call(call())
    await db.close()  # twice is fine
    assert not shared_pool._closed
    assert await shared_pool.fetchval("SELECT 1") == 1
    assert await manager.fetch_value("SELECT COUNT(*) FROM {{tables.llm_api_calls}}") == 1
    # The store can be used again: it simply re-initialises on the same pool.
    assert await db.count_calls() == 1


async def test_manager_without_schema_gets_the_store_schema(pg_dsn: str, schemas: Any) -> None:
    from pgdbm import AsyncDatabaseManager, DatabaseConfig

    manager = AsyncDatabaseManager(DatabaseConfig(connection_string=pg_dsn, min_connections=2, max_connections=4))
    await manager.connect()
    try:
        name = schemas()
        async with LLMDatabase(db_manager=manager, schema=name) as db:
            await db.record_api_call(call())
        assert await manager.fetch_value(f'SELECT COUNT(*) FROM "{name}".llm_api_calls') == 1
        assert await manager.fetch_value("SELECT 1") == 1  # still open: not ours to close
    finally:
        await manager.disconnect()


async def test_seed_samples_work_as_written(fresh_db: str, shared_pool: Any) -> None:
    from pgdbm import AsyncDatabaseManager

    # Standalone (owns connection)
    db = LLMDatabase(connection_string=fresh_db)
    await db.initialize()
    assert db.schema == "llmring" and db.applied_migrations == migration_names("postgres")
    await db.record_api_call(
        origin="app", id_at_origin="u1", provider="openai", model_name="gpt-4o", prompt_tokens=3, completion_tokens=4
    )
    assert (await db.get_usage_stats("app", "u1", days=30)).total_tokens == 7
    assert len(await db.list_recent_calls("app", None, limit=100, offset=0)) == 1
    await db.close()

    # Shared manager (injected) with schema: llmring won't own the pool
    db_manager = AsyncDatabaseManager(pool=shared_pool, schema="llmring_shared")
    db = LLMDatabase(db_manager=db_manager)
    try:
        await db.initialize()
        assert await db.list_models(provider=None, active_only=True) == []
        assert await db.get_model("openai", "gpt-4o") is None
    finally:
        await db.close()
        await shared_pool.execute('DROP SCHEMA "llmring_shared" CASCADE')


async def test_column_types_are_exact(pg_dsn: str, schemas: Any) -> None:
    name = schemas()
    async with LLMDatabase(pg_dsn, schema=name, min_connections=1, max_connections=3) as db:
        rows = await db._manager_ready()
        types = {
            (r["table_name"], r["column_name"]): r["data_type"]
            for r in await rows.fetch_all(
                "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1",
                name,
            )
        }
    assert types["llm_api_calls", "estimated_cost"] == "numeric"
    assert types["llm_api_calls", "called_at"] == "timestamp with time zone"
    assert types["llm_api_calls", "request_metadata"] == "jsonb"
    assert types["llm_models", "dollars_per_million_tokens_input"] == "numeric"
    assert types["llm_usage_daily", "cost"] == "numeric"


# -- several processes ---------------------------------------------------------------------------

_CLI = "from llmring.cli.main import run; run()"


async def test_processes_running_init_db_on_a_fresh_database_at_once(fresh_db: str) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CLI, "--database-url", fresh_db, "init-db",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]  # fmt: skip
    results = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err.decode() for _, err in results]
    schema_lines = sorted(line for out, _ in results for line in out.decode().splitlines() if line.startswith("Schema"))
    assert schema_lines == [applied_line("postgres"), "Schema: up to date"]
    await _assert_one_schema_migrated_once(fresh_db)
    from llmring.registry import bundled_models

    async with LLMDatabase(fresh_db) as db:
        assert len(await db.list_models(active_only=False)) == len(list(bundled_models(include_retired=True)))


async def _assert_one_schema_migrated_once(dsn: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM pg_namespace WHERE nspname = 'llmring'") == 1
        rows = await conn.fetch("SELECT filename, module_name FROM llmring.schema_migrations")
        assert [(r["filename"], r["module_name"]) for r in rows] == [
            (f"{name}.sql", "llmring") for name in migration_names("postgres")
        ]
    finally:
        await conn.close()


# -- errors --------------------------------------------------------------------------------------


async def test_wrong_password_is_one_clear_line_without_the_password(pg_dsn: str) -> None:
    if not urlsplit(pg_dsn).password:
        pytest.skip("this server does not check passwords")
    bad = with_password(pg_dsn, "not-the-password-42")
    with pytest.raises(DatabaseError) as info:
        await LLMDatabase(bad).initialize()
    message = str(info.value)
    host = urlsplit(pg_dsn).hostname
    assert "\n" not in message
    assert f"{host}:{urlsplit(pg_dsn).port}/postgres" in message
    assert "password authentication failed" in message
    assert "not-the-password-42" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_unreachable_host_is_one_clear_line() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatabaseError) as info:
        await LLMDatabase(f"postgresql://app:s3cret-pw@127.0.0.1:{port}/appdb").initialize()
    message = str(info.value)
    assert message.startswith(f"cannot connect to PostgreSQL at app@127.0.0.1:{port}/appdb")
    assert "s3cret-pw" not in message and "\n" not in message


async def test_host_that_never_answers_times_out_with_one_line() -> None:
    import socket

    with socket.socket() as silent:  # accepts TCP connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        db = LLMDatabase(f"postgresql://app:s3cret-pw@127.0.0.1:{port}/appdb", connect_timeout=0.3)
        with pytest.raises(DatabaseError) as info:
            await db.initialize()
    assert str(info.value) == (
        f"cannot connect to PostgreSQL at app@127.0.0.1:{port}/appdb (schema llmring): no answer within 0.3 s"
        " (check --database-url / DATABASE_URL)"
    )


async def test_bad_url_masks_the_password() -> None:
    with pytest.raises(DatabaseError) as info:
        await LLMDatabase("postgresql://app:s3cret-pw@db.example:notaport/appdb").initialize()
    assert "s3cret-pw" not in str(info.value)
    assert str(info.value).startswith("invalid PostgreSQL URL postgresql://app:***@db.example:notaport/appdb")


def test_constructor_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigurationError):
        LLMDatabase()
    with pytest.raises(ConfigurationError):
        LLMDatabase("postgresql://x@h/db", schema="Bad-Name")


async def test_query_errors_become_database_errors(pg_dsn: str, schemas: Any) -> None:
    async with LLMDatabase(pg_dsn, schema=schemas(), min_connections=1, max_connections=3) as db:
        await db.record_api_call(call(id="dup"))
        with pytest.raises(DatabaseError, match="duplicate key"):
            await db.record_api_calls([call(), call(id="dup")])
        with pytest.raises(DatabaseError, match="duplicate key"):
            await db.record_api_calls([call() for _ in range(250)] + [call(id="dup")])
        assert await db.count_calls() == 1


# -- the rollup ----------------------------------------------------------------------------------


async def test_rollup_equals_a_direct_scan_after_concurrent_batches(pg_dsn: str, schemas: Any) -> None:
    from llmring._postgres import usage

    rng = random.Random(7)
    now = datetime.now(UTC)

    def random_call() -> CallRecord:
        final = rng.random() < 0.8
        return call(
            origin=rng.choice(["a", "b"]),
            id_at_origin=rng.choice(["u1", "u2", "u3"]),
            model_name=rng.choice(["gpt-4o", "gpt-4o-mini"]),
            status=rng.choice(["success", "success", "error", "timeout", "rate_limited"]),
            final=final,
            attempt=1 if final else 2,
            cache_hit=rng.random() < 0.1,
            estimated_cost=rng.choice([None, D("0.000001"), D("0.0123456789"), D("1.5")]),
            cache_savings=rng.choice([None, D("0.002")]),
            response_time_ms=rng.choice([None, 100, 2500]),
            prompt_tokens=rng.randrange(0, 5000),
            called_at=now - timedelta(minutes=rng.randrange(0, 60 * 24 * 40)),
        )

    async with LLMDatabase(pg_dsn, schema=schemas(), min_connections=2, max_connections=8) as db:
        batches = [[random_call() for _ in range(rng.choice([1, 30, 250]))] for _ in range(8)]
        counts = await asyncio.gather(*(db.record_api_calls(batch) for batch in batches))
        assert sum(counts) == sum(len(b) for b in batches) == await db.count_calls()
        manager = await db._manager_ready()
        for days in (None, 0, 7, 30):
            since = None if days is None else now - timedelta(days=days)
            for by in ("model", "provider", "origin", "day"):
                for origin, user in ((None, None), ("a", None), ("b", "u2")):
                    sql, params = usage.grouped_query(by, origin, user, since)
                    rolled = sorted(map(dict, await manager.fetch_all(sql, *params)), key=lambda r: r["k"])
                    sql, params = postgres_scan(by, origin, user, since)
                    scanned = sorted(map(dict, await manager.fetch_all(sql, *params)), key=lambda r: r["k"])
                    assert comparable(rolled) == comparable(scanned), (days, by, origin, user)


async def test_big_batch_goes_through_copy_in_one_transaction(pg_dsn: str, schemas: Any) -> None:
    async with LLMDatabase(pg_dsn, schema=schemas(), min_connections=1, max_connections=3) as db:
        assert await db.record_api_calls([call() for _ in range(3_000)]) == 3_000
        stats = await db.get_usage_stats(days=None)
        assert stats.total_calls == 3_000
        assert stats.total_cost == D("0.00045") * 3_000
        assert stats.total_tokens == 120 * 3_000


async def test_models_sort_in_byte_order_whatever_the_database_collation(pg_dsn: str) -> None:
    name = f"icu_{uuid.uuid4().hex[:12]}"
    try:
        run_sql(pg_dsn, f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")
    except Exception as exc:  # a server built without ICU
        pytest.skip(f"no ICU collation here: {exc}")
    url = urlunsplit(urlsplit(pg_dsn)._replace(path=f"/{name}"))
    names = ["gpt-4o-mini", "GPT-5", "gpt-4o", "gpt4", "gpt_4"]
    try:
        async with LLMDatabase(url, min_connections=1, max_connections=3) as db:
            await db.sync_models([LLMModel(provider="openai", model_name=n) for n in names], ["openai"])
            assert [m.model_name for m in await db.list_models()] == sorted(names)  # as SQLite orders them
    finally:
        run_sql(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_lost_connections_raise_database_error_then_recover(pg_dsn: str, schemas: Any) -> None:
    name = schemas()
    async with LLMDatabase(pg_dsn, schema=name, min_connections=1, max_connections=1) as db:
        await db.record_api_call(call())
        # pgdbm names an own pool's connections "<schema>_pool".
        kill = f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = '{name}_pool'"
        run_sql(pg_dsn, kill)
        # Whether the next write meets the dead connection or asyncpg has already replaced it
        # depends on when the loop reads the server's goodbye: either way, never a raw driver
        # error, and the store recovers.
        where = f"postgres@127.0.0.1:{urlsplit(pg_dsn).port}/postgres (schema {name})"
        outcomes = []
        for _ in range(2):
            try:
                await db.record_api_call(call())
                outcomes.append("written")
            except DatabaseError as exc:
                assert str(exc).startswith(f"PostgreSQL {where}: ")
                outcomes.append("error")
        assert outcomes[-1] == "written"
        assert await db.count_calls() == 1 + outcomes.count("written")


async def test_a_one_connection_pool_is_refused_not_deadlocked(pg_dsn: str, schemas: Any) -> None:
    from pgdbm import AsyncDatabaseManager, DatabaseConfig

    pool = await AsyncDatabaseManager.create_shared_pool(
        DatabaseConfig(connection_string=pg_dsn, min_connections=1, max_connections=1)
    )
    try:
        db = LLMDatabase(db_manager=AsyncDatabaseManager(pool=pool, schema=schemas()))
        with pytest.raises(ConfigurationError, match="at least 2"):
            await asyncio.wait_for(db.initialize(), 10)
    finally:
        await pool.close()
    # An own pool asked for one connection gets the two the bootstrap needs.
    async with LLMDatabase(pg_dsn, schema=schemas(), min_connections=1, max_connections=1) as db:
        await asyncio.wait_for(db.record_api_call(call()), 10)
        assert await db.count_calls() == 1
