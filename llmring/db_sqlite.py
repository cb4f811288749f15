"""``SQLiteDatabase``: the embedded store (aiosqlite), one file, safe for several processes.

It implements ``llmring.store.Store`` (the rules both stores share are in ``llmring._store``).
How values are stored is in ``llmring._sqlite.codec`` (money as integer picodollars, timestamps as
fixed-format UTC text); what usage totals count is in ``llmring._sqlite.usage`` (calls count final
rows only; tokens and cost sum every row).

Every write is one ``BEGIN IMMEDIATE`` transaction, serialised on this connection by a lock (so
coroutines sharing the store never interleave inside one) and across processes by SQLite's lock
with a busy timeout. sqlite3 and OS errors surface as ``DatabaseError`` naming the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from llmring import schemas
from llmring._sqlite import codec, forget, queries, search, usage
from llmring._sqlite.budgets import SQLiteBudgets
from llmring._sqlite.errors import is_busy, translate_errors
from llmring._sqlite.migrations import apply_migrations, load_migrations, recorded_migrations
from llmring._sqlite.prune import SQLitePrune
from llmring._store import totals
from llmring._store.base import StoreBase
from llmring._store.checks import check_breakdown, check_listing, check_ttl, window_start
from llmring._store.content import ContentRows, content_rows
from llmring._store.registry_upgrade import bring_up_bundled
from llmring._store.schema_version import refuse_newer_schema
from llmring._store.sync import plan_sync
from llmring.capture import captured_call

if TYPE_CHECKING:
    import aiosqlite

    from llmring.capture import CapturedCall
    from llmring.reprice import Repricing
    from llmring.schemas import CallRecord, LLMModel, UsageStats
    from llmring.store import BreakdownKey, CallFilters, RegistryVersion, SyncReport, UsageBreakdownRow

T = TypeVar("T")


class SQLiteDatabase(SQLiteBudgets, SQLitePrune, StoreBase):
    """The ``Store`` on one SQLite file (``":memory:"`` and ``file:`` URIs also work).

    Use as ``async with SQLiteDatabase(path) as db`` or call ``initialize()``/``close()``.
    Methods used before ``initialize()`` initialise first.
    """

    backend = "sqlite"

    def __init__(self, db_path: str | Path = "llmring.db", *, busy_timeout_ms: int = 5000) -> None:
        self.db_path = str(db_path)
        self.busy_timeout_ms = busy_timeout_ms
        self.applied_migrations: list[str] = []
        self._conn: aiosqlite.Connection | None = None
        self._init_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()

    async def __aenter__(self) -> SQLiteDatabase:
        await self.initialize()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"SQLiteDatabase({self.db_path!r})"

    # -- connection ---------------------------------------------------------------------------
    @translate_errors
    async def initialize(self) -> None:
        """Open the file (creating its directory), set pragmas and apply pending migrations.

        ``applied_migrations`` then lists the migrations this call applied (empty if none).
        """
        async with self._init_lock:
            if self._conn is not None:
                return
            await self._open()
        await bring_up_bundled(self, self.applied_migrations)

    async def _open(self) -> None:
        """Connect, configure and migrate (under the init lock)."""
        import aiosqlite

        uri = self.db_path.startswith("file:")
        if not uri and self.db_path != ":memory:":
            Path(self.db_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        pending = aiosqlite.connect(
            self.db_path if uri else str(Path(self.db_path).expanduser()),
            isolation_level=None,  # no implicit transactions: every write says BEGIN IMMEDIATE
            uri=uri,
            timeout=self.busy_timeout_ms / 1000,
            # Only the worker thread uses it, unless that thread died (see ``close``).
            check_same_thread=False,
        )
        _daemonize(pending)
        try:
            conn = await pending
        except BaseException:
            await _join_worker(pending)
            raise
        try:
            await self._configure(conn)
            self.applied_migrations = await apply_migrations(conn)
            bundled = (m.name for m in load_migrations())
            refuse_newer_schema(await recorded_migrations(conn), bundled, f"SQLite database {self.db_path}")
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def _configure(self, conn: aiosqlite.Connection) -> None:
        codec.bind_none_fast()
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        await conn.execute("PRAGMA foreign_keys = ON")
        # 32 MB of page cache (allocated only as used) keeps the call log's indexes hot, which
        # holds batch inserts above 20k rows/s as the log grows.
        await conn.execute("PRAGMA cache_size = -32000")
        await self._use_wal(conn)  # readers never block the writer
        await conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe in WAL

    async def _use_wal(self, conn: aiosqlite.Connection) -> None:
        """Switch the file to WAL (it stays so), waiting out another connection doing the same.

        Switching needs the file to itself, and SQLite may answer "database is locked" at once,
        without its busy handler, while another connection opens it (two stores or processes
        starting together): so retry here, for as long as the busy timeout.
        """
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        delay = 0.005
        while True:
            async with conn.execute("PRAGMA journal_mode") as cur:
                row = await cur.fetchone()
            if row is None or row[0] in ("wal", "memory"):
                return
            try:
                await conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self._close_budget_conn()
        conn, self._conn = self._conn, None
        if conn is None:
            return
        thread = getattr(conn, "_thread", None)
        if isinstance(thread, threading.Thread) and not thread.is_alive():
            # Its event loop was closed in the middle of a call: aiosqlite's worker died handing
            # back the answer, perhaps inside a transaction whose lock would block every later
            # write in this process. Nothing can run on that thread any more: close it from here.
            raw = getattr(conn, "_connection", None)
            if isinstance(raw, sqlite3.Connection):
                raw.close()
            return
        await conn.close()

    async def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            await self.initialize()
        assert self._conn is not None
        return self._conn

    async def _fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        conn = await self._db()
        async with conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction whose body runs on the event loop.

        On any exception, cancellation included, ROLLBACK is always sent: aiosqlite runs
        statements in order on its thread, so a BEGIN still queued when the caller was cancelled
        runs first and is then rolled back (checking ``in_transaction`` here would read it too
        early and leave the connection inside a transaction for good). "No transaction is
        active" from that ROLLBACK is fine.
        """
        conn = await self._db()
        async with self._write_lock:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT (disk full), so the connection is usable again.
                with contextlib.suppress(sqlite3.Error):
                    await conn.execute("ROLLBACK")
                raise

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` inside one ``BEGIN IMMEDIATE`` transaction, wholly on aiosqlite's thread.

        Nothing of it waits for the event loop, so SQLite's file lock is held only for the
        statements themselves (another process waiting in its busy handler gets it soon even
        when this loop is busy) and cancelling the caller cannot cut the transaction in half:
        once queued it commits or rolls back as a unit.
        """
        conn = await self._db()

        def run() -> T:
            raw = conn._conn  # the sqlite3 connection aiosqlite's thread owns
            raw.execute("BEGIN IMMEDIATE")
            try:
                result = work(raw)
                raw.execute("COMMIT")
            except BaseException:
                if raw.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        raw.execute("ROLLBACK")
                raise
            return result

        async with self._write_lock:
            return await conn._execute(run)

    # -- registry -----------------------------------------------------------------------------
    @translate_errors
    async def list_models(self, provider: str | None = None, active_only: bool = True) -> list[LLMModel]:
        """Models ordered by provider then name (retired ones too unless ``active_only``)."""
        clauses, params = [], []
        if provider is not None:
            clauses.append("provider = ?")
            params.append(provider)
        if active_only:  # a retirement date may be announced ahead: active until then
            clauses.append("(inactive_from IS NULL OR inactive_from > ?)")
            params.append(codec.ts(schemas.utc_now()))
        where = " AND ".join(clauses) or "1"
        rows = await self._fetchall(f"SELECT * FROM llm_models WHERE {where} ORDER BY provider, model_name", params)
        return [codec.model_from_row(row) for row in rows]

    @translate_errors
    async def get_model(self, provider: str, model_name: str) -> LLMModel | None:
        """One model (active or retired), or None."""
        rows = await self._fetchall(
            "SELECT * FROM llm_models WHERE provider = ? AND model_name = ?", (provider, model_name)
        )
        return codec.model_from_row(rows[0]) if rows else None

    @translate_errors
    async def sync_models(
        self,
        models: Sequence[LLMModel],
        providers: Sequence[str],
        *,
        dry_run: bool = False,
        versions: Sequence[RegistryVersion] = (),
    ) -> SyncReport:
        """Upsert ``models`` and retire the active models of ``providers`` not among them.

        All in one transaction, ``versions`` recorded in it. A retired model that comes back is
        reactivated and counted as updated. With ``dry_run`` the report is computed and nothing
        changes.
        """
        now = codec.ts(schemas.utc_now())
        async with self._transaction() as conn:
            async with conn.execute("SELECT * FROM llm_models") as cur:
                existing = [(row["id"], codec.model_from_row(row)) for row in await cur.fetchall()]
            plan = plan_sync(existing, models, providers, dry_run=dry_run)
            if not dry_run:
                inserts = [(m.provider, m.model_name, *codec.model_data(m), now, now) for m in plan.inserts]
                await conn.executemany(queries.INSERT_MODEL, inserts)
                updates = [(*codec.model_data(m), now, row_id) for row_id, m in plan.updates]
                await conn.executemany(queries.UPDATE_MODEL, updates)
                await conn.executemany(queries.RETIRE_MODEL, [(now, now, row_id) for row_id in plan.retires])
                await conn.executemany(
                    queries.UPSERT_REGISTRY_VERSION,
                    [(v.provider, v.version, v.updated, v.source, now) for v in versions],
                )
        return plan.report

    @translate_errors
    async def registry_versions(self) -> dict[str, RegistryVersion]:
        """The recorded registry version of each provider."""
        from llmring.registry import RegistryVersion

        rows = await self._fetchall("SELECT * FROM llm_registry_versions ORDER BY provider")
        return {
            row["provider"]: RegistryVersion(
                provider=row["provider"],
                version=row["version"],
                updated=row["updated"],
                source=row["source"],
                applied_at=codec.parse_ts(row["applied_at"]),
            )
            for row in rows
        }

    # -- reprice (issue 12) -------------------------------------------------------------------
    @translate_errors
    async def calls_to_reprice(self, since: datetime | None = None, *, force: bool = False) -> list[CallRecord]:
        """Successful, non-cache-hit calls from ``since`` on that have no cost (any cost: ``force``)."""
        start = codec.ts(since) if since is not None else ""
        rows = await self._fetchall(queries.CALLS_TO_REPRICE, (start, int(force)))
        return [codec.call_from_row(row) for row in rows]

    @translate_errors
    async def reprice_calls(self, changes: Sequence[Repricing]) -> int:
        """Write ``changes`` and their rollup deltas in one transaction; a row whose cost changed
        since it was read is skipped. Returns how many rows were written."""
        written = 0
        async with self._transaction() as conn:
            for change in changes:
                old, new = codec.call_row(change.old), codec.call_row(change.new)
                values = [new[i] for i in queries.REPRICE_POSITIONS]
                cursor = await conn.execute(queries.REPRICE_CALL, (*values, change.old.id, old[queries.COST_POSITION]))
                if cursor.rowcount != 1:
                    continue
                written += 1
                record = change.old
                delta = int(new[queries.COST_POSITION] or 0) - int(old[queries.COST_POSITION] or 0)
                key = (record.origin, record.id_at_origin, codec.ts(record.called_at)[:10], record.provider)
                await conn.execute(queries.REPRICE_ROLLUP, (delta, change.unpriced_delta, *key, record.model_name))
        return written

    # -- call log -----------------------------------------------------------------------------
    @translate_errors
    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        """Insert ``records`` and fold them into the daily rollup, all in one transaction."""
        if not records:
            return 0
        rows = [codec.call_row(record) for record in records]
        content = content_rows(records)
        tagged = any(record.tags for record in records)

        def insert(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM llm_api_calls").fetchone()
            last_rowid = row[0] if row else 0
            conn.executemany(queries.INSERT_CALL, rows)
            conn.execute(usage.ROLLUP_UPSERT, (last_rowid,))
            if tagged:
                conn.execute(usage.TAG_ROLLUP_UPSERT, (last_rowid,))
                conn.execute(usage.TAG_INDEX_INSERT, (last_rowid,))
            conn.execute(usage.RELEASE_HOLDS, (last_rowid, codec.ts(schemas.utc_now())))
            if content is not None:
                self._write_content(conn, content)
            return len(rows)

        return await self._write(insert)

    @staticmethod
    def _write_content(conn: sqlite3.Connection, content: ContentRows) -> None:
        """New pieces (indexed for search in one statement), then each row's links to them."""
        row = conn.execute(queries.LAST_CONTENT_ID).fetchone()
        last_id = row[0] if row else 0
        conn.executemany(queries.INSERT_CONTENT, content.pieces)
        conn.execute(queries.INDEX_CONTENT, (last_id,))
        conn.executemany(queries.LINK_CONTENT, content.links)

    async def _grouped(
        self, by: str, origin: str | None, id_at_origin: str | None, days: int | None, since: datetime | None
    ) -> list[dict[str, Any]]:
        window = usage.Window(origin=origin, id_at_origin=id_at_origin, since=window_start(days, since))
        sql, params = usage.grouped_query(by, window)
        return usage.with_money(await self._fetchall(sql, params))

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
        savings sum every row (see ``llmring._sqlite.usage``).
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
        driven = False
        if filters.search:  # few matches: find them through the indexes (llmring._sqlite.search)
            count_sql, count_params = search.count_query(filters.search)
            driven = (await self._fetchall(count_sql, count_params))[0][0] <= search.DRIVEN_LIMIT
        sql, params = queries.calls_query(filters, limit, offset, driven=driven)
        return [codec.call_from_row(row) for row in await self._fetchall(sql, params)]

    @translate_errors
    async def get_call(self, record_id: str) -> CallRecord | None:
        """One row by id, or None."""
        rows = await self._fetchall("SELECT * FROM llm_api_calls WHERE id = ?", (record_id,))
        return codec.call_from_row(rows[0]) if rows else None

    @translate_errors
    async def find_calls(self, id_prefix: str, limit: int = 2) -> list[CallRecord]:
        """Rows whose id starts with ``id_prefix`` (in id order, at most ``limit``)."""
        rows = await self._fetchall(
            "SELECT * FROM llm_api_calls WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (id_prefix, id_prefix + "\U0010ffff", limit),
        )
        return [codec.call_from_row(row) for row in rows]

    @translate_errors
    async def get_call_contents(self, record_ids: Sequence[str]) -> dict[str, CapturedCall]:
        """The captured content of each of ``record_ids`` that has some, by id."""
        found: dict[str, list[tuple[str, str, str | None]]] = {}
        ids = list(dict.fromkeys(record_ids))
        for start in range(0, len(ids), 500):  # SQLite caps the number of parameters
            chunk = ids[start : start + 500]
            for row in await self._fetchall(queries.content_query(len(chunk)), chunk):
                found.setdefault(row[0], []).append((row[1], row[2], row[3]))
        return {record_id: captured_call(parts) for record_id, parts in found.items()}

    @translate_errors
    async def latest_conversation(self, origin: str | None = None) -> str | None:
        """The conversation of the most recent call in one (from ``origin``, if given), or None."""
        where = "conversation_id IS NOT NULL" + (" AND origin = ?" if origin is not None else "")
        rows = await self._fetchall(
            f"SELECT conversation_id FROM llm_api_calls WHERE {where} ORDER BY called_at DESC, id DESC LIMIT 1",
            () if origin is None else (origin,),
        )
        return str(rows[0][0]) if rows else None

    @translate_errors
    async def forget_content(self, record_ids: Sequence[str]) -> int:
        """Remove what these rows captured (the rows stay; pieces other calls share stay); returns
        how many had content. The text is overwritten in the file, not just unlinked."""
        return await self._forgetting(lambda conn: forget.forget_rows(conn, record_ids))

    @translate_errors
    async def prune_content(self, before: datetime) -> int:
        """``forget_content`` for every row called before ``before``; returns how many had content."""
        return await self._forgetting(lambda conn: forget.forget_older(conn, codec.ts(before)))

    async def _forgetting(self, step: Callable[[aiosqlite.Connection], Awaitable[int]]) -> int:
        conn = await self._db()
        await conn.execute("PRAGMA secure_delete = ON")  # zero what is deleted, not just free it
        try:
            async with self._transaction() as tx:
                forgotten = await step(tx)
                if forgotten:
                    await forget.rewrite_index(tx)
            if forgotten:
                async with self._write_lock:
                    await forget.checkpoint(conn)
        finally:
            await conn.execute("PRAGMA secure_delete = OFF")
        return forgotten

    @translate_errors
    async def count_calls(self) -> int:
        """Number of rows in the call log (attempt rows included)."""
        rows = await self._fetchall("SELECT COUNT(*) FROM llm_api_calls")
        return int(rows[0][0])

    @translate_errors
    async def tag_keys(self, limit: int = 50) -> list[str]:
        """The tag keys ever logged, sorted (from the tag rollup, whose key leads with them)."""
        rows = await self._fetchall("SELECT DISTINCT tag_key FROM llm_usage_daily_tags ORDER BY 1 LIMIT ?", (limit,))
        return [str(row[0]) for row in rows]

    # -- response cache -----------------------------------------------------------------------
    @translate_errors
    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """The value cached under ``key``, or None if absent or expired (at ``schemas.utc_now()``)."""
        rows = await self._fetchall(
            "SELECT value FROM llm_response_cache WHERE key = ? AND expires_at > ?",
            (key, codec.ts(schemas.utc_now())),
        )
        return codec.load_json(rows[0][0]) if rows else None

    @translate_errors
    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` (JSON; Decimals become strings) under ``key`` for ``ttl_seconds``."""
        check_ttl(ttl_seconds)
        now = schemas.utc_now()
        values = (key, codec.dump_json(value), codec.ts(now), codec.ts(now + timedelta(seconds=ttl_seconds)))
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO llm_response_cache (key, value, created_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " created_at = excluded.created_at, expires_at = excluded.expires_at",
                values,
            )
        )

    @translate_errors
    async def cache_purge_expired(self) -> int:
        """Delete expired entries; returns how many went."""
        now = codec.ts(schemas.utc_now())
        return await self._write(
            lambda conn: conn.execute("DELETE FROM llm_response_cache WHERE expires_at <= ?", (now,)).rowcount
        )


def _daemonize(pending: aiosqlite.Connection) -> None:
    """Let the process exit without waiting for this connection's worker thread.

    A connection whose event loop was closed in the middle of a call (``loop.close()`` without
    ``asyncio.run``'s cleanup) can never be closed, and a non-daemon thread would hang the exit
    forever. SQLite rolls back a transaction cut by the exit, as after a crash; the rows a ring
    left queued are written before (``lazy_store``'s exit path).
    """
    thread = getattr(pending, "_thread", None)
    if isinstance(thread, threading.Thread) and not thread.is_alive():
        thread.daemon = True


async def _join_worker(pending: aiosqlite.Connection) -> None:
    """Wait for a failed connection's worker thread to stop.

    aiosqlite stops the thread without waiting; if the event loop closed first (``asyncio.run``
    returning with our DatabaseError), the thread would print a "loop is closed" traceback.
    """
    thread = getattr(pending, "_thread", None)
    if isinstance(thread, threading.Thread) and thread.is_alive():
        await asyncio.to_thread(thread.join, 5)
