"""``SQLiteDatabase``: the embedded store (aiosqlite), one file, safe for several processes.

It implements ``llmring.store.Store``. How values are stored is in ``llmring._sqlite.codec``
(money as integer picodollars, timestamps as fixed-format UTC text); what usage totals count is in
``llmring._sqlite.usage`` (calls count final rows only; tokens and cost sum every row).

Every write is one ``BEGIN IMMEDIATE`` transaction, serialised on this connection by a lock (so
coroutines sharing the store never interleave inside one) and across processes by SQLite's lock
with a busy timeout. sqlite3 and OS errors surface as ``DatabaseError`` naming the file.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, get_args

from pydantic import ValidationError

from llmring import schemas
from llmring._sqlite import codec, usage
from llmring._sqlite.migrations import apply_migrations
from llmring.errors import ConfigurationError, DatabaseError
from llmring.schemas import (
    PROVIDERS,
    CallRecord,
    CallStatus,
    LLMModel,
    SyncReport,
    UsageBreakdownRow,
    UsageStats,
)

if TYPE_CHECKING:
    import aiosqlite

    from llmring.store import BreakdownKey

P = ParamSpec("P")
T = TypeVar("T")

# Keyword arguments the seed's record_api_call took that CallRecord has no field for: kept in
# request_metadata rather than dropped (the system prompt only as a hash).
_SEED_EXTRAS = frozenset({"top_p", "stop_sequences", "seed", "tool_choice", "parallel_tool_calls"})
_STATUSES = frozenset(get_args(CallStatus))
_BREAKDOWNS = frozenset({"model", "provider", "origin", "day"})


def _hint(exc: BaseException) -> str:
    text = str(exc)
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return f"{text} (the file or its directory is read-only)"
    if "unable to open" in lowered:
        return f"{text} (check that the path exists and its directory is writable)"
    if "locked" in lowered or "busy" in lowered:
        return f"{text} (another process holds a lock; try again)"
    if "full" in lowered:
        return f"{text} (no space left for the database)"
    if "not a database" in lowered:
        return f"{text} (the file is not an SQLite database)"
    if "no such table" in lowered:
        return f"{text} (schema missing: run `llmring init-db`)"
    return text


def _translate_errors(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn sqlite3 and OS errors raised by a store method into one-line ``DatabaseError``s."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            store = args[0]
            assert isinstance(store, SQLiteDatabase)
            raise DatabaseError(f"SQLite database {store.db_path}: {_hint(exc)}") from exc

    return wrapper


class SQLiteDatabase:
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
    @_translate_errors
    async def initialize(self) -> None:
        """Open the file (creating its directory), set pragmas and apply pending migrations.

        ``applied_migrations`` then lists the migrations this call applied (empty if none).
        """
        async with self._init_lock:
            if self._conn is not None:
                return
            import aiosqlite

            uri = self.db_path.startswith("file:")
            if not uri and self.db_path != ":memory:":
                Path(self.db_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            pending = aiosqlite.connect(
                self.db_path if uri else str(Path(self.db_path).expanduser()),
                isolation_level=None,
                uri=uri,
                timeout=self.busy_timeout_ms / 1000,
            )
            try:
                conn = await pending
            except BaseException:
                await _join_worker(pending)
                raise
            try:
                conn.row_factory = sqlite3.Row
                await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
                await conn.execute("PRAGMA foreign_keys = ON")
                # 32 MB of page cache (allocated only as used): keeps the call log's indexes hot,
                # which holds batch inserts above 20k rows/s as the log grows.
                await conn.execute("PRAGMA cache_size = -32000")
                async with conn.execute("PRAGMA journal_mode") as cur:
                    row = await cur.fetchone()
                if row is not None and row[0] not in ("wal", "memory"):
                    await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA synchronous = NORMAL")
                self.applied_migrations = await apply_migrations(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn

    async def close(self) -> None:
        """Close the connection (safe to call twice)."""
        conn, self._conn = self._conn, None
        if conn is not None:
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
        conn = await self._db()
        async with self._write_lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    # -- registry -----------------------------------------------------------------------------
    @_translate_errors
    async def list_models(self, provider: str | None = None, active_only: bool = True) -> list[LLMModel]:
        """Models ordered by provider then name (retired ones too unless ``active_only``)."""
        clauses, params = [], []
        if provider is not None:
            clauses.append("provider = ?")
            params.append(provider)
        if active_only:
            clauses.append("inactive_from IS NULL")
        where = " AND ".join(clauses) or "1"
        rows = await self._fetchall(f"SELECT * FROM llm_models WHERE {where} ORDER BY provider, model_name", params)
        return [codec.model_from_row(row) for row in rows]

    @_translate_errors
    async def get_model(self, provider: str, model_name: str) -> LLMModel | None:
        """One model (active or retired), or None."""
        rows = await self._fetchall(
            "SELECT * FROM llm_models WHERE provider = ? AND model_name = ?", (provider, model_name)
        )
        return codec.model_from_row(rows[0]) if rows else None

    @_translate_errors
    async def sync_models(
        self, models: Sequence[LLMModel], providers: Sequence[str], *, dry_run: bool = False
    ) -> SyncReport:
        """Upsert ``models`` and retire the active models of ``providers`` not among them.

        All in one transaction. A retired model that comes back is reactivated and counted as
        updated. With ``dry_run`` the report is computed and nothing changes.
        """
        wanted: dict[tuple[str, str], LLMModel] = {}
        for model in models:
            key = (model.provider, model.model_name)
            if key in wanted:
                raise ConfigurationError(f"model {model.key} is listed twice")
            wanted[key] = model
        report = SyncReport(dry_run=dry_run)
        now = codec.ts(schemas.utc_now())
        cols = codec.MODEL_DATA_FIELDS
        async with self._transaction() as conn:
            async with conn.execute("SELECT * FROM llm_models") as cur:
                existing = {(row["provider"], row["model_name"]): row for row in await cur.fetchall()}
            inserts, updates, retires = [], [], []
            for key, model in sorted(wanted.items()):
                data = codec.model_data(model)
                row = existing.get(key)
                if row is None:
                    report.inserted.append(model.key)
                    inserts.append((*key, *data, now, now))
                elif row["inactive_from"] is not None or _changed(row, data):
                    report.updated.append(model.key)
                    updates.append((*data, now, row["id"]))
                else:
                    report.unchanged.append(model.key)
            for key, row in sorted(existing.items()):
                if key[0] in providers and key not in wanted and row["inactive_from"] is None:
                    report.retired.append(f"{key[0]}:{key[1]}")
                    retires.append((now, now, row["id"]))
            if dry_run:
                return report
            placeholders = ", ".join("?" * (len(cols) + 4))
            await conn.executemany(
                f"INSERT INTO llm_models (provider, model_name, {', '.join(cols)}, created_at, updated_at)"
                f" VALUES ({placeholders})",
                inserts,
            )
            assignments = ", ".join(f"{c} = ?" for c in cols)
            await conn.executemany(
                f"UPDATE llm_models SET {assignments}, inactive_from = NULL, updated_at = ? WHERE id = ?",
                updates,
            )
            await conn.executemany("UPDATE llm_models SET inactive_from = ?, updated_at = ? WHERE id = ?", retires)
        return report

    # -- call log -----------------------------------------------------------------------------
    @_translate_errors
    async def record_api_call(self, record: CallRecord | None = None, **fields: Any) -> str:
        """Insert one call row, given as a ``CallRecord`` or as its fields (the seed's keywords).

        The seed's ``top_p``, ``stop_sequences``, ``seed``, ``tool_choice`` and
        ``parallel_tool_calls`` go into ``request_metadata``, ``system_prompt`` as a SHA-256 hash.
        Returns the row id.
        """
        if record is None:
            record = _record_from_fields(fields)
        elif fields:
            raise ConfigurationError("record_api_call takes a CallRecord or keyword fields, not both")
        await self.record_api_calls([record])
        return record.id

    @_translate_errors
    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        """Insert ``records`` and update the daily rollup, all in one transaction."""
        if not records:
            return 0
        rows = [codec.call_row(record) for record in records]
        columns = ", ".join(codec.CALL_COLUMNS)
        placeholders = ", ".join("?" * len(codec.CALL_COLUMNS))
        async with self._transaction() as conn:
            async with conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM llm_api_calls") as cur:
                row = await cur.fetchone()
                last_rowid = row[0] if row else 0
            await conn.executemany(f"INSERT INTO llm_api_calls ({columns}) VALUES ({placeholders})", rows)
            await conn.execute(usage.ROLLUP_UPSERT, (last_rowid,))
        return len(rows)

    def _window(self, origin: str | None, id_at_origin: str | None, days: int | None) -> usage.Window:
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise ConfigurationError(f"days must be a whole number >= 0 (or None for all time), not {days!r}")
        since = None if days is None else schemas.utc_now().astimezone(UTC) - timedelta(days=days)
        return usage.Window(origin=origin, id_at_origin=id_at_origin, since=since)

    @_translate_errors
    async def get_usage_stats(
        self, origin: str | None = None, id_at_origin: str | None = None, days: int | None = 30
    ) -> UsageStats:
        """Totals over the last ``days`` days (None: all time); a zeroed ``UsageStats`` if empty.

        Calls, success rate, outcome counts and latency count final rows; tokens, cost and
        savings sum every row (see ``llmring._sqlite.usage``).
        """
        sql, params = usage.grouped_query("model", self._window(origin, id_at_origin, days))
        return usage.stats_from_model_rows(await self._fetchall(sql, params))

    @_translate_errors
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
        if by not in _BREAKDOWNS:
            raise ConfigurationError(f"cannot break usage down by {by!r}: use model, provider, origin or day")
        sql, params = usage.grouped_query(by, self._window(origin, id_at_origin, days))
        return usage.breakdown_rows(by, await self._fetchall(sql, params))

    @_translate_errors
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
        if limit < 0 or offset < 0:
            raise ConfigurationError("limit and offset must be >= 0")
        if status is not None and status not in _STATUSES:
            raise ConfigurationError(f"unknown status {status!r}: use one of {', '.join(sorted(_STATUSES))}")
        clauses: list[str] = []
        params: list[Any] = []

        def where(clause: str, *values: Any) -> None:
            clauses.append(clause)
            params.extend(values)

        if origin is not None:
            where("origin = ?", origin)
        if id_at_origin is not None:
            where("id_at_origin = ?", id_at_origin)
        if model is not None:
            prefix, sep, rest = model.partition(":")
            if sep and prefix in PROVIDERS:
                where("provider = ? AND model_name = ?", prefix, rest)
            else:
                where("model_name = ?", model)
        if provider is not None:
            where("provider = ?", provider)
        if status is not None:
            where("status = ?", status)
        if since is not None:
            where("called_at >= ?", codec.ts(since))
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where(
                "(provider || ':' || model_name LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\'"
                " OR id_at_origin LIKE ? ESCAPE '\\' OR error_message LIKE ? ESCAPE '\\')",
                *([pattern] * 4),
            )
        if before is not None:
            where("(called_at, id) < (?, ?)", codec.ts(before[0]), before[1])
        sql = (
            f"SELECT * FROM llm_api_calls WHERE {' AND '.join(clauses) or '1'}"
            " ORDER BY called_at DESC, id DESC LIMIT ? OFFSET ?"
        )
        rows = await self._fetchall(sql, [*params, limit, offset])
        return [codec.call_from_row(row) for row in rows]

    async def get_recent_calls(
        self, origin: str | None = None, id_at_origin: str | None = None, limit: int = 100
    ) -> list[CallRecord]:
        """The seed's name for ``list_recent_calls``."""
        return await self.list_recent_calls(origin, id_at_origin, limit)

    @_translate_errors
    async def get_call(self, record_id: str) -> CallRecord | None:
        """One row by id, or None."""
        rows = await self._fetchall("SELECT * FROM llm_api_calls WHERE id = ?", (record_id,))
        return codec.call_from_row(rows[0]) if rows else None

    @_translate_errors
    async def count_calls(self) -> int:
        """Number of rows in the call log (attempt rows included)."""
        rows = await self._fetchall("SELECT COUNT(*) FROM llm_api_calls")
        return int(rows[0][0])

    # -- response cache -----------------------------------------------------------------------
    @_translate_errors
    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """The value cached under ``key``, or None if absent or expired (at ``schemas.utc_now()``)."""
        rows = await self._fetchall(
            "SELECT value FROM llm_response_cache WHERE key = ? AND expires_at > ?",
            (key, codec.ts(schemas.utc_now())),
        )
        return codec.load_json(rows[0][0]) if rows else None

    @_translate_errors
    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` (JSON; Decimals become strings) under ``key`` for ``ttl_seconds``."""
        if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
            raise ConfigurationError(f"ttl_seconds must be a positive integer, not {ttl_seconds!r}")
        now = schemas.utc_now()
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO llm_response_cache (key, value, created_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " created_at = excluded.created_at, expires_at = excluded.expires_at",
                (key, codec.dump_json(value), codec.ts(now), codec.ts(now + timedelta(seconds=ttl_seconds))),
            )

    @_translate_errors
    async def cache_purge_expired(self) -> int:
        """Delete expired entries; returns how many went."""
        now = codec.ts(schemas.utc_now())
        async with (
            self._transaction() as conn,
            conn.execute("DELETE FROM llm_response_cache WHERE expires_at <= ?", (now,)) as cur,
        ):
            return cur.rowcount


async def _join_worker(pending: aiosqlite.Connection) -> None:
    """Wait for a failed connection's worker thread to stop.

    aiosqlite stops the thread without waiting; if the event loop closed first (``asyncio.run``
    returning with our DatabaseError), the thread would print a "loop is closed" traceback.
    """
    thread = getattr(pending, "_thread", None)
    if isinstance(thread, threading.Thread) and thread.is_alive():
        await asyncio.to_thread(thread.join, 5)


def _changed(row: sqlite3.Row, data: tuple[Any, ...]) -> bool:
    for name, new in zip(codec.MODEL_DATA_FIELDS, data, strict=True):
        old = row[name]
        if name in codec.MODEL_PRICE_FIELDS and old is not None and new is not None:
            if codec.price_value(old) != codec.price_value(new):
                return True
        elif old != new:
            return True
    return False


def _record_from_fields(fields: dict[str, Any]) -> CallRecord:
    fields = dict(fields)
    fields.pop("total_tokens", None)  # derived: prompt + completion
    extras = {name: fields.pop(name) for name in list(fields) if name in _SEED_EXTRAS}
    system_prompt = fields.pop("system_prompt", None)
    if system_prompt is not None:
        extras["system_prompt_sha256"] = hashlib.sha256(str(system_prompt).encode()).hexdigest()
    unknown = sorted(set(fields) - set(CallRecord.model_fields))
    if unknown:
        raise ConfigurationError(f"record_api_call: unknown field(s) {', '.join(unknown)}")
    extras = {k: v for k, v in extras.items() if v is not None}
    if extras:
        fields["request_metadata"] = {**(fields.get("request_metadata") or {}), **extras}
    try:
        return CallRecord(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise ConfigurationError(f"record_api_call: {where}: {first['msg']}") from exc
