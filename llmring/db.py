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
from datetime import datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from llmring import schemas
from llmring._postgres import codec, usage
from llmring._postgres.errors import (
    describe_dsn,
    describe_manager,
    one_line,
    quiet_pool_warning,
    root_cause,
    translate_errors,
    url_problem,
)
from llmring._sqlite import usage as sqlite_usage
from llmring._sqlite.call_filters import CallFilters
from llmring._sqlite.codec import MODEL_DATA_FIELDS, dump_json
from llmring._sqlite.records import check_breakdown, check_listing, record_from_fields
from llmring.errors import ConfigurationError, DatabaseError, redact
from llmring.schemas import CallRecord, LLMModel, SyncReport, UsageBreakdownRow, UsageStats

if TYPE_CHECKING:
    from pgdbm import AsyncDatabaseManager

    from llmring.store import BreakdownKey

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Serialises schema creation and migrations across processes (pgdbm's own migration lock is
# taken only after it has created its tracking table, which races on a fresh database).
_BOOTSTRAP_LOCK = "SELECT pg_advisory_lock(hashtext('llmring_bootstrap'))"
_BOOTSTRAP_UNLOCK = "SELECT pg_advisory_unlock(hashtext('llmring_bootstrap'))"
_COPY_ROWS = 200  # from this batch size on, COPY through a staging table


class LLMDatabase:
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
    async def _connect(self) -> None:
        """Open our own pool; a wrong password or an unreachable host becomes one clear line."""
        assert self._manager is not None and self._dsn is not None
        problem = url_problem(self._dsn)
        if problem:
            raise DatabaseError(
                f"invalid PostgreSQL URL {redact(self._dsn)}: {problem} (check --database-url / DATABASE_URL)"
            )
        for attempt in range(5):
            try:
                await asyncio.wait_for(self._manager.connect(), self.connect_timeout)
                return
            except Exception as exc:
                cause = root_cause(exc)
                # Two processes creating the schema in the pool's connection init at once: the
                # loser sees a duplicate; the schema exists now, so simply connect again.
                if type(cause).__name__ in ("UniqueViolationError", "DuplicateSchemaError") and attempt < 4:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                if isinstance(exc, TimeoutError) or isinstance(cause, TimeoutError):
                    reason = f"no answer within {self.connect_timeout:g} s"
                elif isinstance(cause, ValueError):
                    reason = f"invalid URL ({one_line(cause)})"
                else:
                    reason = one_line(cause)
                raise DatabaseError(
                    f"cannot connect to PostgreSQL at {self.where}: {reason} (check --database-url / DATABASE_URL)"
                ) from None

    async def initialize(self) -> None:
        """Connect (standalone), create the schema and apply pending migrations.

        ``applied_migrations`` then lists the migrations this call applied (empty if none).
        """
        async with self._init_lock:
            if self._ready:
                return
            if self._owns_pool and getattr(self._manager, "_pool", None) is None:
                await self._connect()
            try:
                await self._bootstrap()
            except BaseException:
                if self._owns_pool:
                    await self._disconnect()
                raise
            self._ready = True

    @translate_errors
    async def _bootstrap(self) -> None:
        from pgdbm import AsyncDatabaseManager, AsyncMigrationManager

        manager = self._manager
        assert manager is not None
        if manager.schema != self.schema:
            # A manager built from a config without a schema: reach its pool through a
            # manager of our own that qualifies every name with our schema.
            pool = getattr(manager, "_pool", None)
            if pool is None:
                raise DatabaseError(f"PostgreSQL {self.where}: connect the injected manager before initialize()")
            manager = AsyncDatabaseManager(pool=pool, schema=self.schema)
        pool_size = getattr(getattr(manager, "_pool", None), "get_max_size", lambda: 2)()
        if pool_size < 2:
            raise ConfigurationError(
                f"PostgreSQL {self.where}: the pool holds {pool_size} connection(s); llmring needs at least 2"
                " (one holds the migration lock while another migrates)"
            )
        migrations = resources.files("llmring").joinpath("migrations", "postgres")
        async with manager.acquire() as conn:
            await conn.execute("SET lock_timeout = 0")  # undone when the connection is released
            await conn.execute(_BOOTSTRAP_LOCK)
            try:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                result = await AsyncMigrationManager(
                    manager, migrations_path=str(migrations), module_name="llmring"
                ).apply_pending_migrations()
            finally:
                await conn.execute(_BOOTSTRAP_UNLOCK)
        self.applied_migrations = [item["filename"].removesuffix(".sql") for item in result.get("applied", [])]
        self._db = manager

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

    # -- registry -----------------------------------------------------------------------------
    @translate_errors
    async def list_models(self, provider: str | None = None, active_only: bool = True) -> list[LLMModel]:
        """Models ordered by provider then name (retired ones too unless ``active_only``)."""
        db = await self._manager_ready()
        clauses, params = [], []
        if provider is not None:
            params.append(provider)
            clauses.append("provider = $1")
        if active_only:
            clauses.append("inactive_from IS NULL")
        where = " AND ".join(clauses) or "TRUE"
        rows = await db.fetch_all(
            # Byte order, as SQLite sorts (the database's collation might not be "C").
            f"SELECT * FROM {{{{tables.llm_models}}}} WHERE {where}"
            ' ORDER BY provider COLLATE "C", model_name COLLATE "C"',
            *params,
        )
        return [codec.model_from_row(row) for row in rows]

    @translate_errors
    async def get_model(self, provider: str, model_name: str) -> LLMModel | None:
        """One model (active or retired), or None."""
        db = await self._manager_ready()
        row = await db.fetch_one(
            "SELECT * FROM {{tables.llm_models}} WHERE provider = $1 AND model_name = $2", provider, model_name
        )
        return codec.model_from_row(row) if row else None

    @translate_errors
    async def sync_models(
        self, models: Sequence[LLMModel], providers: Sequence[str], *, dry_run: bool = False
    ) -> SyncReport:
        """Upsert ``models`` and retire the active models of ``providers`` not among them.

        All in one transaction (serialised with other syncs of this schema). A retired model
        that comes back is reactivated and counted as updated. ``dry_run`` changes nothing.
        """
        wanted: dict[tuple[str, str], LLMModel] = {}
        for model in models:
            key = (model.provider, model.model_name)
            if key in wanted:
                raise ConfigurationError(f"model {model.key} is listed twice")
            wanted[key] = model
        db = await self._manager_ready()
        report = SyncReport(dry_run=dry_run)
        now = schemas.utc_now()
        cols = MODEL_DATA_FIELDS
        async with db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock(hashtext('llmring_sync:' || $1))", self.schema)
            rows = await tx.fetch_all("SELECT * FROM {{tables.llm_models}}")
            existing = {(row["provider"], row["model_name"]): row for row in rows}
            inserts, updates, retires = [], [], []
            for key, model in sorted(wanted.items()):
                data = codec.model_data(model)
                row = existing.get(key)
                if row is None:
                    report.inserted.append(model.key)
                    inserts.append((*key, *data, now, now))
                elif row["inactive_from"] is not None or codec.model_changed(row, data):
                    report.updated.append(model.key)
                    updates.append((*data, now, row["id"]))
                else:
                    report.unchanged.append(model.key)
            for key, row in sorted(existing.items()):
                if key[0] in providers and key not in wanted and row["inactive_from"] is None:
                    report.retired.append(f"{key[0]}:{key[1]}")
                    retires.append((now, row["id"]))
            if dry_run:
                return report
            placeholders = ", ".join(f"${i}" for i in range(1, len(cols) + 5))
            if inserts:
                await tx.executemany(
                    f"INSERT INTO {{{{tables.llm_models}}}} (provider, model_name, {', '.join(cols)},"
                    f" created_at, updated_at) VALUES ({placeholders})",
                    inserts,
                )
            if updates:
                assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, 1))
                n = len(cols)
                await tx.executemany(
                    f"UPDATE {{{{tables.llm_models}}}} SET {assignments}, inactive_from = NULL,"
                    f" updated_at = ${n + 1} WHERE id = ${n + 2}",
                    updates,
                )
            if retires:
                await tx.executemany(
                    "UPDATE {{tables.llm_models}} SET inactive_from = $1, updated_at = $1 WHERE id = $2", retires
                )
        return report

    # -- call log -----------------------------------------------------------------------------
    async def record_api_call(self, record: CallRecord | None = None, **fields: Any) -> str:
        """Insert one call row, given as a ``CallRecord`` or as its fields (the seed's keywords).

        The seed's ``top_p``, ``stop_sequences``, ``seed``, ``tool_choice`` and
        ``parallel_tool_calls`` go into ``request_metadata``, ``system_prompt`` as a SHA-256 hash.
        Returns the row id.
        """
        if record is None:
            record = record_from_fields(fields)
        elif fields:
            raise ConfigurationError("record_api_call takes a CallRecord or keyword fields, not both")
        await self.record_api_calls([record])
        return record.id

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
        if len(records) < _COPY_ROWS:
            columns = codec.call_columns(records)
            return int(await db.fetch_value(codec.insert_calls_sql(), *columns))
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
            return int(await tx.fetch_value(codec.insert_calls_sql(f"pg_temp.{self._staging}")))

    def _since(self, days: int | None) -> datetime | None:
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise ConfigurationError(f"days must be a whole number >= 0 (or None for all time), not {days!r}")
        return None if days is None else codec.utc(schemas.utc_now()) - timedelta(days=days)

    async def _grouped(
        self, by: str, origin: str | None, id_at_origin: str | None, days: int | None
    ) -> list[dict[str, Any]]:
        since = self._since(days)
        db = await self._manager_ready()
        sql, params = usage.grouped_query(by, origin, id_at_origin, since)
        return usage.sqlite_shaped(await db.fetch_all(sql, *params))

    @translate_errors
    async def get_usage_stats(
        self, origin: str | None = None, id_at_origin: str | None = None, days: int | None = 30
    ) -> UsageStats:
        """Totals over the last ``days`` days (None: all time); a zeroed ``UsageStats`` if empty.

        Calls, success rate, outcome counts and latency count final rows; tokens, cost and
        savings sum every row. Reads the daily rollup plus at most one day of call rows.
        """
        return sqlite_usage.stats_from_model_rows(await self._grouped("model", origin, id_at_origin, days))

    @translate_errors
    async def usage_breakdown(
        self,
        by: BreakdownKey,
        origin: str | None = None,
        id_at_origin: str | None = None,
        days: int | None = 30,
    ) -> list[UsageBreakdownRow]:
        """Totals per model (``provider:model``), provider, origin or UTC day (YYYY-MM-DD).

        Days come oldest first; other keys by cost, then calls (both descending), then key.
        """
        check_breakdown(by)
        return sqlite_usage.breakdown_rows(by, await self._grouped(by, origin, id_at_origin, days))

    @translate_errors
    async def list_recent_calls(
        self,
        origin: str | None = None,
        id_at_origin: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        model: str | None = None,
        provider: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        search: str | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[CallRecord]:
        """Rows newest first (ties by id, descending), filtered; ``before`` pages by keyset.

        ``model`` is ``provider:model`` or a bare model name; ``search`` is a case-insensitive
        substring of ``provider:model``, origin, id_at_origin or the error message.
        """
        check_listing(limit, offset, status)
        params: list[Any] = []

        def arg(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        filters = CallFilters(origin, id_at_origin, model, provider, status, since, search, before)
        # Backslash is PostgreSQL's default LIKE escape.
        clauses = filters.clauses(arg, codec.utc, contains="{column} ILIKE {pattern}")
        where = " AND ".join(clauses) or "TRUE"
        db = await self._manager_ready()
        rows = await db.fetch_all(
            f"SELECT * FROM {{{{tables.llm_api_calls}}}} WHERE {where}"
            f" ORDER BY called_at DESC, id DESC LIMIT {arg(limit)} OFFSET {arg(offset)}",
            *params,
        )
        return [codec.call_from_row(row) for row in rows]

    async def get_recent_calls(
        self, origin: str | None = None, id_at_origin: str | None = None, limit: int = 100
    ) -> list[CallRecord]:
        """The seed's name for ``list_recent_calls``."""
        return await self.list_recent_calls(origin, id_at_origin, limit)

    @translate_errors
    async def get_call(self, record_id: str) -> CallRecord | None:
        """One row by id, or None."""
        db = await self._manager_ready()
        row = await db.fetch_one("SELECT * FROM {{tables.llm_api_calls}} WHERE id = $1", record_id)
        return codec.call_from_row(row) if row else None

    @translate_errors
    async def count_calls(self) -> int:
        """Number of rows in the call log (attempt rows included)."""
        db = await self._manager_ready()
        return int(await db.fetch_value("SELECT COUNT(*) FROM {{tables.llm_api_calls}}"))

    # -- response cache -----------------------------------------------------------------------
    @translate_errors
    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """The value cached under ``key``, or None if absent or expired (at ``schemas.utc_now()``)."""
        import json

        db = await self._manager_ready()
        value = await db.fetch_value(
            "SELECT value FROM {{tables.llm_response_cache}} WHERE key = $1 AND expires_at > $2",
            key,
            codec.utc(schemas.utc_now()),
        )
        return None if value is None else json.loads(value)

    @translate_errors
    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` (JSON; Decimals become strings) under ``key`` for ``ttl_seconds``."""
        if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
            raise ConfigurationError(f"ttl_seconds must be a positive integer, not {ttl_seconds!r}")
        db = await self._manager_ready()
        now = codec.utc(schemas.utc_now())
        await db.execute(
            "INSERT INTO {{tables.llm_response_cache}} (key, value, created_at, expires_at)"
            " VALUES ($1, $2::jsonb, $3, $4) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
            " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
            key,
            dump_json(value),
            now,
            now + timedelta(seconds=ttl_seconds),
        )

    @translate_errors
    async def cache_purge_expired(self) -> int:
        """Delete expired entries; returns how many went."""
        db = await self._manager_ready()
        status = await db.execute(
            "DELETE FROM {{tables.llm_response_cache}} WHERE expires_at <= $1", codec.utc(schemas.utc_now())
        )
        return int(status.split()[-1])
