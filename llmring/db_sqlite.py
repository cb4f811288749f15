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
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from llmring import schemas
from llmring._sqlite import codec, queries, search, usage
from llmring._sqlite.budgets import SQLiteBudgets
from llmring._sqlite.cache import SQLiteCache
from llmring._sqlite.connection import configure, daemonize, join_worker
from llmring._sqlite.content import SQLiteContent
from llmring._sqlite.errors import translate_errors
from llmring._sqlite.migrations import apply_migrations, load_migrations, recorded_migrations
from llmring._sqlite.prune import SQLitePrune
from llmring._sqlite.registry import SQLiteRegistry
from llmring._store import totals
from llmring._store.base import StoreBase
from llmring._store.checks import check_breakdown, check_listing, window_start
from llmring._store.content import content_rows
from llmring._store.registry_upgrade import bring_up_bundled
from llmring._store.schema_version import refuse_newer_schema

if TYPE_CHECKING:
    import aiosqlite

    from llmring.reprice import Repricing
    from llmring.schemas import CallRecord, UsageStats
    from llmring.store import BreakdownKey, CallFilters, UsageBreakdownRow

T = TypeVar("T")


class SQLiteDatabase(SQLiteBudgets, SQLitePrune, SQLiteRegistry, SQLiteContent, SQLiteCache, StoreBase):
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
        daemonize(pending)
        try:
            conn = await pending
        except BaseException:
            await join_worker(pending)
            raise
        try:
            await configure(conn, self.busy_timeout_ms)
            self.applied_migrations = await apply_migrations(conn)
            bundled = (m.name for m in load_migrations())
            refuse_newer_schema(await recorded_migrations(conn), bundled, f"SQLite database {self.db_path}")
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

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
    async def count_calls(self) -> int:
        """Number of rows in the call log (attempt rows included)."""
        rows = await self._fetchall("SELECT COUNT(*) FROM llm_api_calls")
        return int(rows[0][0])

    @translate_errors
    async def tag_keys(self, limit: int = 50) -> list[str]:
        """The tag keys ever logged, sorted (from the tag rollup, whose key leads with them)."""
        rows = await self._fetchall("SELECT DISTINCT tag_key FROM llm_usage_daily_tags ORDER BY 1 LIMIT ?", (limit,))
        return [str(row[0]) for row in rows]
