"""Issue 19 item 7: a database migrated by a newer llmring is refused with one line, never written."""

from __future__ import annotations

import pytest

from llmring.db import LLMDatabase
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import DatabaseError
from llmring.schemas import CallRecord
from tests.db.conftest import StoreFactory
from tests.db.pg_schemas import run_sql


async def record_unknown_migration(store_factory: StoreFactory) -> None:
    """Open the database once (migrating it), then record a migration this package lacks."""
    store = store_factory()
    await store.initialize()
    try:
        if isinstance(store, SQLiteDatabase):
            conn = await store._db()
            await conn.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ('999_from_the_future', '2030-01-01')"
            )
        else:
            assert isinstance(store, LLMDatabase) and store._dsn is not None
            run_sql(
                store._dsn,
                f'INSERT INTO "{store.schema}".schema_migrations (filename, checksum, module_name)'
                " VALUES ('999_from_the_future.sql', 'x', 'llmring')",
            )
    finally:
        await store.close()


async def test_a_schema_newer_than_the_package_is_refused_in_one_line(store_factory: StoreFactory) -> None:
    await record_unknown_migration(store_factory)
    store = store_factory()
    with pytest.raises(DatabaseError) as caught:
        await store.initialize()
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(
        ": its schema is newer than this llmring (unknown migration 999_from_the_future"
        f"{'.sql' if isinstance(store, LLMDatabase) else ''}); upgrade llmring (pip install -U llmring) to use it"
    )
    record = CallRecord(provider="openai", model_name="gpt-4o-mini")
    with pytest.raises(DatabaseError, match="schema is newer than this llmring"):
        await store.record_api_calls([record])  # a write initialises first, and is refused
    await store.close()
