"""``LLMDatabase``: the PostgreSQL store, through pgdbm (asyncpg underneath).

It implements ``llmring.store.Store`` with the same semantics as ``SQLiteDatabase`` (the store
contract tests run on both). Two ways to use it, as in the seed::

    db = LLMDatabase(connection_string="postgresql://...")  # owns its pool
    db = LLMDatabase(db_manager=manager)  # a shared pool: never closed here

Every statement names its tables through pgdbm templates (``{{tables.llm_api_calls}}``), so
several schemas can share one database and one pool without seeing each other. asyncpg and
pgdbm are imported only when a store is built, so ``import llmring`` stays light.

Errors from the driver surface as one-line ``DatabaseError``s naming host, port, database and
schema, with any password masked.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmring._postgres import bootstrap, codec, queries, search, usage
from llmring._postgres.budgets import PostgresBudgets
from llmring._postgres.cache import PostgresCache
from llmring._postgres.content import PostgresContent
from llmring._postgres.errors import describe_dsn, describe_manager, quiet_pool_warning, translate_errors
from llmring._postgres.prune import PostgresPrune
from llmring._postgres.registry import PostgresRegistry
from llmring._store import totals
from llmring._store.base import StoreBase
from llmring._store.checks import check_breakdown, check_listing, window_start
from llmring._store.content import content_rows
from llmring._store.filters import like_pattern
from llmring._store.registry_upgrade import bring_up_bundled
from llmring.errors import ConfigurationError

if TYPE_CHECKING:
    from pgdbm import AsyncDatabaseManager

    from llmring.reprice import Repricing
    from llmring.schemas import CallRecord, UsageStats
    from llmring.store import BreakdownKey, CallFilters, UsageBreakdownRow

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_COPY_ROWS = 200  # from this batch size on, COPY through a staging table


class LLMDatabase(PostgresBudgets, PostgresPrune, PostgresRegistry, PostgresContent, PostgresCache, StoreBase):
    """The ``Store`` on PostgreSQL: standalone (own pool) or on an injected pgdbm manager.

    ``schema`` names the schema for a standalone store, and for an injected manager that has
    none; a manager's own schema wins. ``initialize()`` creates the schema and applies the
    migrations in ``llmring/migrations/postgres`` (idempotent, safe with several processes at
    once). Methods used before ``initialize()`` initialise first. A pool needs at least two
    connections (one holds the bootstrap lock while another migrates): an own pool is given
    two even if ``max_connections`` asks for fewer, and a smaller injected pool is refused.
    """

    backend = "postgres"

    def __init__(
        self,
        connection_string: str | None = None,
        db_manager: AsyncDatabaseManager | None = None,
        schema: str = "llmring",
        min_connections: int = 2,
        max_connections: int = 10,
        *,
        connect_timeout: float = 10.0,
    ) -> None:
        if connection_string and db_manager is not None:
            raise ConfigurationError("give LLMDatabase either connection_string or db_manager, not both")
        if not connection_string and db_manager is None:
            raise ConfigurationError("LLMDatabase needs connection_string='postgresql://...' or db_manager=")
        if db_manager is not None and db_manager.schema:
            schema = db_manager.schema
        if not _SCHEMA_NAME.match(schema):
            raise ConfigurationError(f"invalid schema name {schema!r}: use lower-case letters, digits and _")
        self.schema = schema
        # A temp table per session and schema (two schemas may share a pooled connection).
        self._staging = f"llmring_stage_{hashlib.sha1(schema.encode()).hexdigest()[:12]}"
        self.connect_timeout = connect_timeout
        self.applied_migrations: list[str] = []
        self._owns_pool = db_manager is None
        self._dsn = connection_string
        self._manager = db_manager
        self._db: AsyncDatabaseManager | None = None
        self._ready = False
        self._init_lock = asyncio.Lock()
        if connection_string:
            from pgdbm import AsyncDatabaseManager, DatabaseConfig

            pgdbm_logger = logging.getLogger("pgdbm.core")
            if quiet_pool_warning not in pgdbm_logger.filters:
                pgdbm_logger.addFilter(quiet_pool_warning)
            max_connections = max(max_connections, 2)
            config = DatabaseConfig(
                connection_string=connection_string,
                schema=schema,
                min_connections=min(max(min_connections, 1), max_connections),
                max_connections=max_connections,
                lock_timeout_ms=None,  # the bootstrap lock may wait behind another process
                retry_attempts=1,  # we retry the one error worth retrying, quietly
            )
            self._manager = AsyncDatabaseManager(config)
            self.where = f"{describe_dsn(connection_string)} (schema {schema})"
        else:
            self.where = f"{describe_manager(db_manager)} (schema {schema}, injected pool)"

    async def __aenter__(self) -> LLMDatabase:
        await self.initialize()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"LLMDatabase({self.where!r})"

    # -- connection ---------------------------------------------------------------------------
    async def initialize(self) -> None:
        """Connect (standalone), create the schema and apply pending migrations.

        ``applied_migrations`` then lists the migrations this call applied (empty if none).
        """
        async with self._init_lock:
            if self._ready:
                return
            if self._owns_pool and getattr(self._manager, "_pool", None) is None:
                assert self._manager is not None and self._dsn is not None
                await bootstrap.connect(self._manager, self._dsn, self.where, self.connect_timeout)
            try:
                await self._bootstrap()
            except BaseException:
                if self._owns_pool:
                    await self._disconnect()
                raise
            self._ready = True
            applied = list(self.applied_migrations or [])
        await bring_up_bundled(self, applied)

    @translate_errors
    async def _bootstrap(self) -> None:
        assert self._manager is not None
        self._db, self.applied_migrations = await bootstrap.bootstrap(self._manager, self.schema, self.where)

    async def _disconnect(self) -> None:
        if self._owns_pool and self._manager is not None and getattr(self._manager, "_pool", None) is not None:
            await self._manager.disconnect()

    async def close(self) -> None:
        """Close our own pool (safe to call twice); an injected manager's pool stays open."""
        self._ready = False
        self._db = None
        await self._disconnect()

    async def _manager_ready(self) -> AsyncDatabaseManager:
        if not self._ready:
            await self.initialize()
        assert self._db is not None
        return self._db

    # -- reprice (issue 12) -------------------------------------------------------------------
    @translate_errors
    async def calls_to_reprice(self, since: datetime | None = None, *, force: bool = False) -> list[CallRecord]:
        """Successful, non-cache-hit calls from ``since`` on that have no cost (any cost: ``force``)."""
        db = await self._manager_ready()
        rows = await db.fetch_all(queries.CALLS_TO_REPRICE, since, force)
        return [codec.call_from_row(row) for row in rows]

    @translate_errors
    async def reprice_calls(self, changes: Sequence[Repricing]) -> int:
        """Write ``changes`` and their deltas to both rollups in one transaction; a row whose cost
        changed since it was read is skipped. Returns how many rows were written."""
        if not changes:
            return 0
        db = await self._manager_ready()
        written = 0
        async with db.transaction() as tx:
            for change in changes:
                old, new = codec.call_rows([change.old, change.new])
                values = [new[i] for i in queries.REPRICE_POSITIONS]
                status = await tx.execute(queries.REPRICE_CALL, *values, change.old.id, old[queries.COST_POSITION])
                if not str(status).endswith(" 1"):
                    continue
                written += 1
                record = change.old
                day = codec.utc(record.called_at).date()
                keys = {
                    "llm_usage_daily": (record.origin, record.id_at_origin, day, record.provider, record.model_name),
                    "llm_usage_daily_origin": (record.origin, day, record.provider, record.model_name),
                }
                for sql, key in zip(queries.REPRICE_ROLLUPS, keys.values(), strict=True):
                    await tx.execute(sql, change.cost_delta, change.unpriced_delta, *key)
        return written

    # -- call log -----------------------------------------------------------------------------
    @translate_errors
    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        """Insert ``records`` and update the daily rollup, all in one transaction.

        Small batches go in as column arrays in one statement; from ``_COPY_ROWS`` rows on they
        are COPYed into a per-session staging table first (about twice as fast). Either way one
        statement moves them into the log and folds them into ``llm_usage_daily``. A duplicate
        id fails the whole batch.
        """
        if not records:
            return 0
        db = await self._manager_ready()
        content = content_rows(records)
        if len(records) < _COPY_ROWS:
            columns = codec.call_columns(records)
            if content is None:
                return int(await db.fetch_value(queries.insert_calls_sql(), *columns))
            async with db.transaction() as tx:
                count = int(await tx.fetch_value(queries.insert_calls_sql(), *columns))
                await self._write_content(tx, content)
                return count
        rows = codec.call_rows(records)
        async with db.transaction() as tx:
            conn = tx.connection
            await conn.execute(
                db.prepare_query(
                    f"CREATE TEMP TABLE IF NOT EXISTS {self._staging}"
                    " (LIKE {{tables.llm_api_calls}}) ON COMMIT DELETE ROWS"
                )
            )
            await conn.copy_records_to_table(
                self._staging,
                records=rows,
                columns=codec.CALL_FIELDS,
                schema_name="pg_temp",
            )
            count = int(await tx.fetch_value(queries.insert_calls_sql(f"pg_temp.{self._staging}")))
            if content is not None:
                await self._write_content(tx, content)
            return count

    async def _grouped(
        self, by: str, origin: str | None, id_at_origin: str | None, days: int | None, since: datetime | None
    ) -> list[Any]:
        start = window_start(days, since)
        db = await self._manager_ready()
        sql, params = usage.grouped_query(by, origin, id_at_origin, start)
        return list(await db.fetch_all(sql, *params))

    @translate_errors
    async def get_usage_stats(
        self,
        origin: str | None = None,
        id_at_origin: str | None = None,
        days: int | None = 30,
        *,
        since: datetime | None = None,
    ) -> UsageStats:
        """Totals over the last ``days`` days (None: all time) or from ``since`` on; zeros if empty.

        Calls, success rate, outcome counts and latency count final rows; tokens, cost and
        savings sum every row. Reads the daily rollup plus at most one day of call rows.
        """
        return totals.stats_from_model_rows(await self._grouped("model", origin, id_at_origin, days, since))

    @translate_errors
    async def usage_breakdown(
        self,
        by: BreakdownKey | str,
        origin: str | None = None,
        id_at_origin: str | None = None,
        days: int | None = 30,
        *,
        since: datetime | None = None,
    ) -> list[UsageBreakdownRow]:
        """Totals per model (``provider:model``), provider, origin, UTC day (YYYY-MM-DD) or alias.

        Days come oldest first; other keys by cost, then calls (both descending), then key.
        """
        check_breakdown(by)
        rows = await self._grouped(by, origin, id_at_origin, days, since)
        everything = (
            await self._grouped("provider", origin, id_at_origin, days, since) if by.startswith("tag:") else None
        )
        return totals.breakdown_rows(by, rows, everything)

    @translate_errors
    async def list_calls(self, filters: CallFilters, limit: int = 100, offset: int = 0) -> list[CallRecord]:
        """Rows matching ``filters``, newest first (ties by id, descending); see ``CallFilters``."""
        check_listing(limit, offset)
        db = await self._manager_ready()
        if search.windowed(filters, limit, offset) and (
            (await db.fetch_value(search.COMMON_WORDS, filters.search) or 0) >= search.COMMON_PIECES
        ):  # a text of common words: its page among the newest rows, if it is common too
            sql, params = queries.calls_query(filters, limit, offset, window=True)
            rows = await db.fetch_all(sql, *params)
            if len(rows) == limit:
                return [codec.call_from_row(row) for row in rows]
        driven = False
        if filters.search:  # few matches: find them through the indexes (llmring._postgres.search)
            count_sql, count_params = search.count_query(filters.search, like_pattern(filters.search))
            driven = int(await db.fetch_value(count_sql, *count_params)) <= search.DRIVEN_LIMIT
        sql, params = queries.calls_query(filters, limit, offset, driven=driven)
        return [codec.call_from_row(row) for row in await db.fetch_all(sql, *params)]

    @translate_errors
    async def get_call(self, record_id: str) -> CallRecord | None:
        """One row by id, or None."""
        db = await self._manager_ready()
        row = await db.fetch_one("SELECT * FROM {{tables.llm_api_calls}} WHERE id = $1", record_id)
        return codec.call_from_row(row) if row else None

    @translate_errors
    async def find_calls(self, id_prefix: str, limit: int = 2) -> list[CallRecord]:
        """Rows whose id starts with ``id_prefix`` (in id order, at most ``limit``)."""
        db = await self._manager_ready()
        rows = await db.fetch_all(
            "SELECT * FROM {{tables.llm_api_calls}} WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3",
            id_prefix,
            id_prefix + "\U0010ffff",
            limit,
        )
        return [codec.call_from_row(row) for row in rows]

    @translate_errors
    async def count_calls(self) -> int:
        """Number of rows in the call log (attempt rows included)."""
        db = await self._manager_ready()
        return int(await db.fetch_value("SELECT COUNT(*) FROM {{tables.llm_api_calls}}"))

    @translate_errors
    async def tag_keys(self, limit: int = 50) -> list[str]:
        """The tag keys ever logged, sorted (from the tag rollup, whose key leads with them)."""
        db = await self._manager_ready()
        sql = "SELECT DISTINCT tag_key FROM {{tables.llm_usage_daily_tags}} ORDER BY 1 LIMIT $1"
        return [str(row["tag_key"]) for row in await db.fetch_all(sql, limit)]

    # -- response cache -----------------------------------------------------------------------
