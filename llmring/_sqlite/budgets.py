"""Budgets on SQLite: the ``llm_budgets`` rows and the reservation transaction (issue 16).

A reservation is one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock, held across processes
with the busy timeout): read spent (from the daily rollups, whole UTC days) and live holds for
each budget, and either insert this call's holds or refuse. The call log's insert deletes a
call's holds in the same transaction that adds its cost to the rollup, and any expired holds
(``llmring._sqlite.usage.RELEASE_HOLDS``), so no check can see a call both or neither way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmring import schemas
from llmring._sqlite.codec import parse_ts, ts
from llmring._sqlite.errors import is_busy, translate_errors
from llmring._store.values import from_pico, to_pico
from llmring.budgets import HOLD_SECONDS, Budget, BudgetUse

if TYPE_CHECKING:
    import asyncio
    from contextlib import AbstractAsyncContextManager

    import aiosqlite

# Busy timeouts a reservation waits through (each the store's) before it fails.
_BUSY_ATTEMPTS = 6  # 30 s at the default 5 s busy timeout: a loaded machine can hold the lock for long
_BUDGET_COLUMNS = "id, period, limit_pico, origin, id_at_origin, tag_key, tag_value, warn_at, unpriced, created_at"


def _use_query(budget: Budget, now: datetime) -> tuple[str, list[Any]]:
    """One statement (one snapshot): the budget's spend in its period and its live holds."""
    params: list[Any] = []
    clauses = ["day >= ?"]
    params.append(budget.period_start(now).isoformat())
    if budget.origin is not None:
        clauses.append("origin = ?")
        params.append(budget.origin)
    if budget.user is not None:
        clauses.append("id_at_origin = ?")
        params.append(budget.user)
    table = "llm_usage_daily"
    if budget.tag is not None:
        table = "llm_usage_daily_tags"
        clauses[:0] = ["tag_key = ?", "tag_value = ?"]
        params[:0] = list(budget.tag)
    sql = (
        f"SELECT (SELECT COALESCE(SUM(cost_pico), 0) FROM {table} WHERE {' AND '.join(clauses)}),"
        " (SELECT COALESCE(SUM(amount_pico), 0) FROM llm_budget_holds WHERE budget = ? AND expires_at > ?)"
    )
    return sql, [*params, budget.id, ts(now)]


def _budget_from_row(row: sqlite3.Row) -> Budget:
    tag = (row["tag_key"], row["tag_value"]) if row["tag_key"] is not None else None
    limit = from_pico(row["limit_pico"])
    assert limit is not None
    return Budget(
        period=row["period"],
        limit=limit,
        origin=row["origin"],
        user=row["id_at_origin"],
        tag=tag,
        warn_at=row["warn_at"],
        unpriced=row["unpriced"],
    )


class SQLiteBudgets:
    """The budget methods of ``SQLiteDatabase`` (see ``llmring.store.Store``)."""

    db_path: str
    _budget_conn: sqlite3.Connection | None = None

    if TYPE_CHECKING:
        _write_lock: asyncio.Lock

        def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

        async def _db(self) -> aiosqlite.Connection: ...

        async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...

    @translate_errors
    async def list_budgets(self) -> list[Budget]:
        """Every stored budget, in the order they were set."""
        rows = await self._fetchall(f"SELECT {_BUDGET_COLUMNS} FROM llm_budgets ORDER BY created_at, id")
        return [_budget_from_row(row) for row in rows]

    @translate_errors
    async def save_budget(self, budget: Budget) -> None:
        """Store ``budget``, replacing the one of the same period and scope."""
        tag_key, tag_value = budget.tag if budget.tag else (None, None)
        async with self._transaction() as conn:
            await conn.execute(
                f"INSERT INTO llm_budgets ({_BUDGET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET limit_pico = excluded.limit_pico,"
                " warn_at = excluded.warn_at, unpriced = excluded.unpriced",
                (
                    budget.id,
                    budget.period,
                    to_pico(budget.limit),
                    budget.origin,
                    budget.user,
                    tag_key,
                    tag_value,
                    budget.warn_at,
                    budget.unpriced,
                    ts(schemas.utc_now()),
                ),
            )

    @translate_errors
    async def remove_budget(self, budget_id: str) -> bool:
        """Delete the budget ``budget_id`` and its holds; False if there was none."""
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM llm_budget_holds WHERE budget = ?", (budget_id,))
            async with conn.execute("DELETE FROM llm_budgets WHERE id = ?", (budget_id,)) as cur:
                return cur.rowcount > 0

    @translate_errors
    async def budget_uses(self, budgets: Sequence[Budget], now: datetime | None = None) -> list[BudgetUse]:
        """Where each budget stands now: spent in its period and held by calls in flight."""
        now = now or schemas.utc_now()
        uses = []
        for budget in budgets:
            sql, params = _use_query(budget, now)
            row = (await self._fetchall(sql, params))[0]
            uses.append(_use(budget, row, now))
        return uses

    @translate_errors
    async def reserve_budgets(
        self, budgets: Sequence[Budget], call_id: str, amount: Decimal, *, hold_seconds: int = HOLD_SECONDS
    ) -> list[BudgetUse]:
        """Hold ``amount`` for ``call_id`` under every budget, or none if one would be passed.

        Returns each budget's use before this hold; raises ``BudgetExceededError`` (naming the
        first budget that does not fit) and holds nothing if the call does not fit them all.
        """
        now = schemas.utc_now()
        pico = to_pico(amount)
        assert pico is not None
        reads = [_use_query(budget, now) for budget in budgets]
        limits = [to_pico(budget.limit) or 0 for budget in budgets]
        holds = [(budget.id, call_id, pico, ts(now + timedelta(seconds=hold_seconds))) for budget in budgets]
        args = (reads, limits, pico, holds)
        await self._db()  # initialised (migrated) before a second connection opens the file
        result = self._reserve_now(args)
        for attempt in range(_BUSY_ATTEMPTS):
            if result is not None:
                break
            conn = await self._db()
            try:
                async with self._write_lock:
                    # The whole transaction in the connection's thread: one hop instead of seven.
                    result = await conn._execute(_reserve, conn._conn, *args)
            except sqlite3.OperationalError as exc:
                # A call waits for its budget check rather than fail: the busy timeout again,
                # a few times, before the store's "locked" error.
                if not is_busy(exc) or attempt == _BUSY_ATTEMPTS - 1:
                    raise
        assert result is not None
        found, fits = result
        uses = [_use(budget, row, now) for budget, row in zip(budgets, found, strict=True)]
        if not fits:
            for use in uses:
                if not use.fits(amount):
                    raise use.refusal(amount)
        return uses

    def _reserve_now(self, args: tuple[Any, ...]) -> tuple[list[tuple[int, int]], bool] | None:
        """The reservation on this event loop's own connection, without waiting: None if the
        file's write lock is taken (then the caller waits for it in the store's thread).

        Why: a hop to aiosqlite's thread costs more than the whole transaction (tens of
        microseconds of SQLite work), and far more on a loaded machine; SQLite answers "busy"
        at once here (busy timeout 0), so the event loop never waits on another writer.
        """
        conn = self._budget_conn
        if conn is None:
            if self.db_path == ":memory:" or self.db_path.startswith("file:"):
                return None  # a second connection would not see the same database
            conn = sqlite3.connect(
                str(Path(self.db_path).expanduser()), isolation_level=None, timeout=0, check_same_thread=False
            )
            # As durable as the store's own connection (WAL, synced at checkpoints), and the
            # checkpoints (with their fsync) are left to that connection.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._budget_conn = conn
        try:
            return _reserve(conn, *args)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                return None
            raise

    def _close_budget_conn(self) -> None:
        conn, self._budget_conn = self._budget_conn, None
        if conn is not None:
            conn.close()

    @translate_errors
    async def holds_of(self, call_id: str) -> list[tuple[str, Decimal, datetime]]:
        """The live holds of one call: (budget id, amount, expires at)."""
        rows = await self._fetchall(
            "SELECT budget, amount_pico, expires_at FROM llm_budget_holds WHERE call_id = ? ORDER BY budget",
            (call_id,),
        )
        out = []
        for row in rows:
            amount, expires = from_pico(row[1]), parse_ts(row[2])
            assert amount is not None and expires is not None
            out.append((row[0], amount, expires))
        return out


def _reserve(
    conn: sqlite3.Connection,
    reads: list[tuple[str, list[Any]]],
    limits: list[int],
    pico: int,
    holds: list[tuple[str, str, int, str]],
) -> tuple[list[tuple[int, int]], bool]:
    """The reservation transaction, run in the connection's worker thread: ((spent, held) per
    budget, whether the holds were written)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = [tuple(conn.execute(sql, params).fetchone()) for sql, params in reads]
        fits = all(spent + held + pico <= limit for (spent, held), limit in zip(found, limits, strict=True))
        if fits:
            conn.executemany(
                "INSERT OR REPLACE INTO llm_budget_holds (budget, call_id, amount_pico, expires_at)"
                " VALUES (?, ?, ?, ?)",
                holds,
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found, fits


def _use(budget: Budget, row: Any, now: datetime) -> BudgetUse:
    spent, held = from_pico(int(row[0])), from_pico(int(row[1]))
    assert spent is not None and held is not None
    return BudgetUse(budget=budget, spent=spent, in_flight=held, now=now)
