"""Budgets on SQLite: the ``llm_budgets`` rows and the reservation transaction (issue 16).

A reservation is one ``BEGIN IMMEDIATE`` transaction (SQLite's write lock, held across processes
with the busy timeout): read spent (from the daily rollups, whole UTC days) and live holds for
each budget, and either insert this call's holds or refuse. The call log's insert deletes a
call's holds in the same transaction that adds its cost to the rollup, and any expired holds
(``llmring._sqlite.usage.RELEASE_HOLDS``), so no check can see a call both or neither way.

Reading spent and held costs more than the rest of the transaction once holds pile up (they live
until the call log's batched writer logs the call), so the reservation connection remembers what
it last read (``SeenUse``) and reuses it while ``PRAGMA data_version`` says no other connection
(in any process) has committed since: then spent is unchanged and held can only have grown by
this connection's own holds, which it adds. The remembered figures are never below the truth
(a hold that expired meanwhile still counts), so a call they admit fits; a call they would refuse
is checked against a fresh read before it is refused.
"""

from __future__ import annotations

import functools
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


class SeenUse:
    """(spent, held) per (budget, period start) as of one ``data_version`` of one connection."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.uses: dict[tuple[str, str], list[int]] = {}

    def get(self, version: int, keys: list[tuple[str, str]]) -> list[tuple[int, int]] | None:
        """The remembered figures for ``keys``, or None if any is unknown or out of date."""
        if version != self.version:
            return None
        found = []
        for key in keys:
            use = self.uses.get(key)
            if use is None:
                return None
            found.append((use[0], use[1]))
        return found

    def remember(self, version: int, keys: list[tuple[str, str]], found: list[tuple[int, int]], held: int) -> None:
        """Note what this transaction read (or reused) and the ``held`` it added to each key."""
        if version != self.version:
            self.version, self.uses = version, {}
        for key, (spent, in_flight) in zip(keys, found, strict=True):
            self.uses[key] = [spent, in_flight + held]


@functools.lru_cache(maxsize=256)
def _limit_pico(limit: Decimal) -> int:
    return to_pico(limit) or 0


_expiry_seen: tuple[datetime, int, str] | None = None


def _expiry(now: datetime, hold_seconds: int) -> str:
    """When a hold taken ``now`` expires, as stored text: ``now + hold_seconds`` rounded up to the
    whole second, so the text is formatted once a second rather than once a call."""
    global _expiry_seen
    if not now.microsecond:
        return ts(now + timedelta(seconds=hold_seconds))  # already whole
    second = now.replace(microsecond=0)
    seen = _expiry_seen
    if seen is not None and seen[0] == second and seen[1] == hold_seconds:
        return seen[2]
    text = ts(second + timedelta(seconds=hold_seconds + 1))
    _expiry_seen = (second, hold_seconds, text)
    return text


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
    _budget_seen: SeenUse

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
        keys = [(budget.id, budget.period_start(now).isoformat()) for budget in budgets]
        limits = [_limit_pico(budget.limit) for budget in budgets]
        expires = _expiry(now, hold_seconds)
        holds = [(budget_id, call_id, pico, expires) for budget_id, _ in keys]
        args = (budgets, now, keys, limits, pico, holds)
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
            self._budget_seen = SeenUse()
        try:
            return _reserve(conn, *args, seen=self._budget_seen)
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
    budgets: Sequence[Budget],
    now: datetime,
    keys: list[tuple[str, str]],
    limits: list[int],
    pico: int,
    holds: list[tuple[str, str, int, str]],
    *,
    seen: SeenUse | None = None,
) -> tuple[list[tuple[int, int]], bool]:
    """The reservation transaction on ``conn`` (its own thread or the store's worker thread):
    ((spent, held) per budget, whether the holds were written). ``seen`` (this connection's
    remembered reads) may stand in for the reads when it admits the call."""
    conn.execute("BEGIN IMMEDIATE")
    version = -1
    try:
        found: list[tuple[int, int]] | None = None
        if seen is not None:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            found = seen.get(version, keys)
        fits = found is not None and _fit(found, limits, pico)
        if not fits:
            reads = [_use_query(budget, now) for budget in budgets]
            found = [_pair(conn.execute(sql, params).fetchone()) for sql, params in reads]
            fits = _fit(found, limits, pico)
        if fits:
            conn.executemany(
                "INSERT OR REPLACE INTO llm_budget_holds (budget, call_id, amount_pico, expires_at)"
                " VALUES (?, ?, ?, ?)",
                holds,
            )
        conn.execute("COMMIT")
    except BaseException:
        if seen is not None:
            seen.version = None  # whatever was written, remember nothing
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    assert found is not None
    if seen is not None:
        seen.remember(version, keys, found, pico if fits else 0)
    return found, fits


def _pair(row: Any) -> tuple[int, int]:
    return int(row[0]), int(row[1])


def _fit(found: list[tuple[int, int]], limits: list[int], pico: int) -> bool:
    return all(spent + held + pico <= limit for (spent, held), limit in zip(found, limits, strict=True))


def _use(budget: Budget, row: Any, now: datetime) -> BudgetUse:
    spent, held = from_pico(int(row[0])), from_pico(int(row[1]))
    assert spent is not None and held is not None
    return BudgetUse(budget=budget, spent=spent, in_flight=held, now=now)
