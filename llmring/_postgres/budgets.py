"""Budgets on PostgreSQL: the ``llm_budgets`` rows and the reservation transaction (issue 16).

A reservation takes a transaction-scoped advisory lock per budget (in id order, so two
reservations never wait on each other in a cycle), then reads spent and held for each budget
in ONE statement each (one snapshot: the call-log insert moves a call from held to spent in one
statement, ``llmring._postgres.queries._RELEASE_HOLDS``, so a reader sees it on one side only),
then inserts this call's holds or refuses. The lock serialises reservations of a budget across
every process and host that shares the database; call-log writers never take it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmring import schemas
from llmring._postgres.codec import utc
from llmring._postgres.errors import translate_errors
from llmring._store.values import exact_money
from llmring.budgets import HOLD_SECONDS, Budget, BudgetUse

if TYPE_CHECKING:
    from pgdbm import AsyncDatabaseManager

_BUDGET_COLUMNS = "id, period, limit_usd, origin, id_at_origin, tag_key, tag_value, warn_at, unpriced, created_at"


def _use_query(budget: Budget, now: datetime) -> tuple[str, list[Any]]:
    """One statement (one snapshot): the budget's spend in its period and its live holds."""
    params: list[Any] = [budget.period_start(now)]
    clauses = ["day >= $1"]
    table = "llm_usage_daily" if budget.user is not None else "llm_usage_daily_origin"
    if budget.tag is not None:
        table = "llm_usage_daily_tags"
        params.extend(budget.tag)
        clauses += [f"tag_key = ${len(params) - 1}", f"tag_value = ${len(params)}"]
    if budget.origin is not None:
        params.append(budget.origin)
        clauses.append(f"origin = ${len(params)}")
    if budget.user is not None:
        params.append(budget.user)
        clauses.append(f"id_at_origin = ${len(params)}")
    params += [budget.id, utc(now)]
    sql = (
        f"SELECT (SELECT COALESCE(SUM(cost), 0) FROM {{{{tables.{table}}}}} WHERE {' AND '.join(clauses)}) AS spent,"
        f" (SELECT COALESCE(SUM(amount), 0) FROM {{{{tables.llm_budget_holds}}}}"
        f" WHERE budget = ${len(params) - 1} AND expires_at > ${len(params)}) AS held"
    )
    return sql, params


def _budget_from_row(row: Any) -> Budget:
    tag = (row["tag_key"], row["tag_value"]) if row["tag_key"] is not None else None
    limit = exact_money(row["limit_usd"])
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


def _use(budget: Budget, row: Any, now: datetime) -> BudgetUse:
    spent, held = exact_money(row["spent"]), exact_money(row["held"])
    assert spent is not None and held is not None
    return BudgetUse(budget=budget, spent=spent, in_flight=held, now=now)


class PostgresBudgets:
    """The budget methods of ``LLMDatabase`` (see ``llmring.store.Store``)."""

    schema: str

    if TYPE_CHECKING:

        async def _manager_ready(self) -> AsyncDatabaseManager: ...

    @translate_errors
    async def list_budgets(self) -> list[Budget]:
        """Every stored budget, in the order they were set."""
        db = await self._manager_ready()
        rows = await db.fetch_all(f"SELECT {_BUDGET_COLUMNS} FROM {{{{tables.llm_budgets}}}} ORDER BY created_at, id")
        return [_budget_from_row(row) for row in rows]

    @translate_errors
    async def save_budget(self, budget: Budget) -> None:
        """Store ``budget``, replacing the one of the same period and scope."""
        tag_key, tag_value = budget.tag if budget.tag else (None, None)
        db = await self._manager_ready()
        await db.execute(
            f"INSERT INTO {{{{tables.llm_budgets}}}} ({_BUDGET_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (id) DO UPDATE SET limit_usd = EXCLUDED.limit_usd,"
            " warn_at = EXCLUDED.warn_at, unpriced = EXCLUDED.unpriced",
            budget.id,
            budget.period,
            budget.limit,
            budget.origin,
            budget.user,
            tag_key,
            tag_value,
            budget.warn_at,
            budget.unpriced,
            utc(schemas.utc_now()),
        )

    @translate_errors
    async def remove_budget(self, budget_id: str) -> bool:
        """Delete the budget ``budget_id`` and its holds; False if there was none."""
        db = await self._manager_ready()
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM {{tables.llm_budget_holds}} WHERE budget = $1", budget_id)
            status = await tx.execute("DELETE FROM {{tables.llm_budgets}} WHERE id = $1", budget_id)
        return int(status.split()[-1]) > 0

    @translate_errors
    async def budget_uses(self, budgets: Sequence[Budget], now: datetime | None = None) -> list[BudgetUse]:
        """Where each budget stands now: spent in its period and held by calls in flight."""
        now = now or schemas.utc_now()
        db = await self._manager_ready()
        uses = []
        for budget in budgets:
            sql, params = _use_query(budget, now)
            rows = await db.fetch_all(sql, *params)
            uses.append(_use(budget, rows[0], now))
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
        db = await self._manager_ready()
        async with db.transaction() as tx:
            for budget_id in sorted({b.id for b in budgets}):
                await tx.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('llmring_budget:' || $1 || ':' || $2))",
                    self.schema,
                    budget_id,
                )
            uses = []
            for budget in budgets:
                sql, params = _use_query(budget, now)
                uses.append(_use(budget, (await tx.fetch_all(sql, *params))[0], now))
            for use in uses:
                if not use.fits(amount):
                    raise use.refusal(amount)
            await tx.executemany(
                "DELETE FROM {{tables.llm_budget_holds}} WHERE budget = $1 AND expires_at <= $2",
                [(budget.id, utc(now)) for budget in budgets],
            )
            await tx.executemany(
                "INSERT INTO {{tables.llm_budget_holds}} (budget, call_id, amount, expires_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (budget, call_id) DO UPDATE SET amount = EXCLUDED.amount,"
                " expires_at = EXCLUDED.expires_at",
                [(budget.id, call_id, amount, utc(now + timedelta(seconds=hold_seconds))) for budget in budgets],
            )
        return uses

    @translate_errors
    async def holds_of(self, call_id: str) -> list[tuple[str, Decimal, datetime]]:
        """The live holds of one call: (budget id, amount, expires at)."""
        db = await self._manager_ready()
        rows = await db.fetch_all(
            "SELECT budget, amount, expires_at FROM {{tables.llm_budget_holds}} WHERE call_id = $1"
            ' ORDER BY budget COLLATE "C"',
            call_id,
        )
        out = []
        for row in rows:
            amount = exact_money(row["amount"])
            assert amount is not None
            out.append((row["budget"], amount, row["expires_at"]))
        return out
