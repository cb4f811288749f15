"""The dashboard's only door to the store: async loaders that return plain view models.

``DashboardData`` opens the store on first use through the injected factory (and initialises it,
as the ``Store`` contract asks of whoever opens one). A store that failed to open is opened again
on the next load, so pressing ``r`` after fixing the database recovers without a restart.

Queries stay cheap on a large log: the calls page is one keyset query (``before=``) of
``page_size + 1`` rows; stats read the daily rollup through ``get_usage_stats``/``usage_breakdown``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Union

from llmring_tui import call_views, views

if TYPE_CHECKING:
    from llmring.schemas import CallRecord
    from llmring.store import Store

StoreFactory = Callable[[], Union["Store", Awaitable["Store"]]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default dashboard clock: now, in UTC."""
    return datetime.now(UTC)


class DashboardData:
    """Async loaders over one lazily opened store; every method returns view models."""

    def __init__(self, store_factory: StoreFactory, clock: Clock = utc_now, zone: tzinfo = UTC) -> None:
        self._factory = store_factory
        self._clock = clock
        self.zone = zone
        self._store: Store | None = None
        self._lock = asyncio.Lock()

    async def store(self) -> Store:
        """The open, initialised store (opened on first use; retried after a failed open)."""
        async with self._lock:
            if self._store is None:
                opened = self._factory()
                store = await opened if inspect.isawaitable(opened) else opened
                try:
                    await store.initialize()
                except BaseException:
                    await store.close()
                    raise
                self._store = store
            return self._store

    async def close(self) -> None:
        """Close the store if it was opened."""
        store, self._store = self._store, None
        if store is not None:
            await store.close()

    # -- loaders -------------------------------------------------------------------------------
    async def models(self, include_inactive: bool) -> views.ModelsView:
        """The registry (retired models too when ``include_inactive``)."""
        store = await self.store()
        now = self._clock()  # dated prices shown as they are today
        models = [m.priced_at(now) for m in await store.list_models(active_only=not include_inactive)]
        return views.ModelsView(rows=tuple(views.model_row(m) for m in models), include_inactive=include_inactive)

    async def calls(
        self,
        query: call_views.CallsQuery,
        *,
        page: int = 1,
        before: call_views.Cursor | None = None,
        page_size: int = 100,
    ) -> call_views.CallsPage:
        """One page of calls in the query's order: after the ``before`` keyset cursor when newest
        first (fast at any depth), else by offset (``page``)."""
        from llmring.store import CallFilters

        store = await self.store()
        filters = CallFilters(
            origin=query.origin,
            id_at_origin=query.id_at_origin,
            model=query.model,
            status=query.status,
            search=query.search,
            since=query.since(self._clock()),
            before=before if query.keyset else None,
            order_by=query.order_by,  # type: ignore[arg-type]
            ascending=query.ascending,
        )
        offset = 0 if query.keyset else (page - 1) * page_size
        records = await store.list_calls(filters, limit=page_size + 1, offset=offset)
        total = await store.count_calls()
        return call_views.CallsPage(
            rows=tuple(call_views.call_row(r, self.zone) for r in records[:page_size]),
            query=query,
            page=page,
            before=before,
            has_more=len(records) > page_size,
            total_rows=total,
        )

    async def call_record(self, record_id: str) -> CallRecord | None:
        """One call's full row (for copying it), or None if it is gone."""
        store = await self.store()
        return await store.get_call(record_id)

    async def call_details(self, record_id: str) -> call_views.CallDetails | None:
        """Everything logged about one call, or None if the row is gone."""
        store = await self.store()
        record = await store.get_call(record_id)
        if record is None:
            return None
        return call_views.call_details(record, self.zone, await store.get_call_content(record_id))

    async def stats(self, window: views.StatsWindow) -> views.StatsView:
        """Totals, cost per day and the breakdowns for ``window`` (whole UTC days), and the budgets."""
        store = await self.store()
        today = self._clock().astimezone(UTC).date()
        since = window.since(today)
        stats = await store.get_usage_stats(days=None, since=since)
        by_day = await store.usage_breakdown("day", days=None, since=since)
        by_model = await store.usage_breakdown("model", days=None, since=since)
        by_provider = await store.usage_breakdown("provider", days=None, since=since)
        by_origin = await store.usage_breakdown("origin", days=None, since=since)
        by_user = await store.usage_breakdown("user", days=None, since=since)
        by_tag = {
            key: await store.usage_breakdown(f"tag:{key}", days=None, since=since) for key in await store.tag_keys()
        }
        budgets = await store.budget_uses(await store.list_budgets())
        # Only an empty window needs to know whether anything was ever logged (for its message).
        calls_ever = stats.total_calls or await store.count_calls()
        cost_per_day = views.daily_costs(by_day, window.first_day(today), today) if stats.total_calls else ()
        return views.StatsView(
            window=window,
            total_calls=stats.total_calls,
            totals=views.stats_totals(stats),
            cost_per_day=cost_per_day,
            by_day=views.breakdown_lines(by_day),
            by_model=views.breakdown_lines(by_model),
            by_provider=views.breakdown_lines(by_provider),
            by_origin=views.breakdown_lines(by_origin),
            by_user=views.breakdown_lines(by_user),
            by_tag=views.tag_lines(by_tag),
            budgets=views.budget_lines(budgets),
            first_day=cost_per_day[0][0] if cost_per_day else window.first_day(today),
            last_day=today,
            calls_ever=calls_ever,
        )
