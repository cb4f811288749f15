"""The one interface both stores implement: ``SQLiteDatabase`` and ``LLMDatabase`` (PostgreSQL).

The service, the CLI and the dashboard talk only to this protocol (and open a store with
``open_store``), and the store test suite runs every test against both backends. Also here: the
values that cross it and only stores produce or take (``CallFilters``, ``UsageBreakdownRow``,
``SyncReport``, the breakdown keys). SQL lives in the backends only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, Field

from llmring.registry import RegistryVersion
from llmring.schemas import CALL_STATUSES, CallRecord, LLMModel, UsageStats

if TYPE_CHECKING:
    from llmring.budgets import Budget, BudgetUse
    from llmring.capture import CapturedCall
    from llmring.reprice import Repricing
    from llmring.retention import PruneReport
    from llmring.settings import DatabaseTarget

__all__ = ["RegistryVersion"]  # defined with the registry; stores take and return it

BreakdownKey = Literal["model", "provider", "origin", "user", "day", "alias"]
BREAKDOWN_KEYS: tuple[str, ...] = get_args(BreakdownKey)
# Also accepted by ``usage_breakdown``: ``tag:KEY`` (per value of one tag, plus ``(untagged)``).
CallOrder = Literal["time", "cost", "tokens", "latency", "model", "status", "origin"]
CALL_ORDERS: tuple[str, ...] = get_args(CallOrder)


@dataclass(frozen=True)
class CallFilters:
    """Which call-log rows a listing returns (None: not filtered on that).

    ``model`` is ``provider:model`` or a bare model name; ``tags`` (key, value) pairs that a row
    must all carry; ``conversation_id`` the calls of one conversation (issue 17); ``call_id`` the
    rows of one call (its retries and fallback hops); ``search`` a case-insensitive substring of
    ``provider:model``, origin, user or (on failed rows) error message, or words (in that order)
    of a captured prompt or answer (full-text: SQLite FTS5, PostgreSQL GIN); ``since`` an
    inclusive lower bound on ``called_at``; ``before=(called_at, id)`` the keyset of the last row
    of the previous page (newest-first order only). ``order_by`` sorts by time (the default),
    cost, total tokens, latency, model, status or origin (then user), descending unless
    ``ascending``; rows without a cost or latency come last either way, and ties go newest first.
    A ``status`` that no row can have, an unknown order or a keyset on another order is a
    ``ConfigurationError`` when the filters are built, so a caller finds out before any database
    is opened.
    """

    origin: str | None = None
    id_at_origin: str | None = None
    model: str | None = None
    provider: str | None = None
    status: str | None = None
    since: datetime | None = None
    search: str | None = None
    before: tuple[datetime, str] | None = None
    order_by: CallOrder = "time"
    ascending: bool = False
    tags: tuple[tuple[str, str], ...] = ()  # (key, value) pairs a row must all have (issue 16)
    conversation_id: str | None = None  # issue 17: the calls of one conversation
    call_id: str | None = None  # every attempt and fallback hop of one call (they share its call_id)

    def __post_init__(self) -> None:
        from llmring.errors import ConfigurationError

        if self.status is not None and self.status not in CALL_STATUSES:
            raise ConfigurationError(f"unknown status {self.status!r}: use one of {', '.join(CALL_STATUSES)}")
        if self.order_by not in CALL_ORDERS:
            raise ConfigurationError(f"cannot order calls by {self.order_by!r}: use one of {', '.join(CALL_ORDERS)}")
        if self.tags:
            from llmring.tags import check_tags

            check_tags(dict(self.tags))
        if self.before is not None and (self.order_by != "time" or self.ascending):
            raise ConfigurationError("before= pages the newest-first order only: page other orders with offset")


class UsageBreakdownRow(BaseModel):
    """One group of ``UsageStats``-like totals, keyed by model, provider, origin, user, day or tag value."""

    key: str
    calls: int = 0
    tokens: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal("0")
    errors: int = 0
    cache_hits: int = 0
    avg_response_time_ms: float | None = None
    unpriced_calls: int = 0  # successes whose price is unknown: their cost is not in ``cost``

    def cost_label(self, money: Callable[[Decimal], str] | None = None) -> str:
        """``cost`` for people (``llmring.formatting.group_cost``, with its ``money`` unless one is
        given), saying when some or all calls could not be priced: ``$0.12 +3 unpriced``."""
        from llmring.formatting import group_cost

        return group_cost(
            self.cost,
            calls=self.calls,
            unpriced=self.unpriced_calls,
            errors=self.errors,
            cache_hits=self.cache_hits,
            money_text=money,
        )


class SyncReport(BaseModel):
    """What a registry sync (``init-db`` seeding, ``json-refresh``) did or would do."""

    inserted: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    retired: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    dry_run: bool = False


def open_store(target: DatabaseTarget) -> Store:
    """A new, not yet initialised store for ``target``; the caller initialises and closes it."""
    if target.backend == "sqlite":
        from llmring.db_sqlite import SQLiteDatabase

        assert target.sqlite_path is not None
        return SQLiteDatabase(target.sqlite_path)
    from llmring.db import LLMDatabase

    return LLMDatabase(connection_string=target.database_url)


@runtime_checkable
class Store(Protocol):
    """Model registry, call log, daily rollup and response cache behind one async API."""

    backend: str  # "sqlite" or "postgres"

    async def initialize(self) -> None:
        """Create or migrate the schema (idempotent; safe with several processes at once)."""

    async def close(self) -> None:
        """Release connections (a pool the store does not own stays open)."""

    # -- registry ---------------------------------------------------------------------------
    async def list_models(self, provider: str | None = None, active_only: bool = True) -> list[LLMModel]:
        """Models ordered by provider then name."""
        ...

    async def get_model(self, provider: str, model_name: str) -> LLMModel | None:
        """One model (active or not), or None."""
        ...

    async def sync_models(
        self,
        models: Sequence[LLMModel],
        providers: Sequence[str],
        *,
        dry_run: bool = False,
        versions: Sequence[RegistryVersion] = (),
    ) -> SyncReport:
        """Upsert ``models`` and retire the models of ``providers`` that are not in it.

        One transaction: either everything changes or nothing does. A retired model that
        reappears is reactivated (counted as updated). ``versions`` are recorded in the same
        transaction (one row per provider, replacing the one before).
        """
        ...

    async def registry_versions(self) -> dict[str, RegistryVersion]:
        """The recorded registry version of each provider (none for a provider never synced
        with one)."""
        ...

    # -- reprice (issue 12) -----------------------------------------------------------------
    async def calls_to_reprice(self, since: datetime | None = None, *, force: bool = False) -> list[CallRecord]:
        """Successful, non-cache-hit calls from ``since`` on with no cost (with ``force``: all of
        them), oldest first."""
        ...

    async def reprice_calls(self, changes: Sequence[Repricing]) -> int:
        """Write the new cost fields of ``changes`` and fold their deltas into the daily rollups,
        all in one transaction; a row whose cost changed since it was read is skipped. Returns
        the number of rows written."""
        ...

    # -- call log ---------------------------------------------------------------------------
    async def record_api_call(self, record: CallRecord | None = None, **fields: Any) -> str:
        """Insert one call row (a ``CallRecord`` or its fields as keywords); returns its id."""
        ...

    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        """Insert many rows, and the content they captured, in one transaction (the background writer's batch path)."""
        ...

    async def get_usage_stats(
        self,
        origin: str | None = None,
        id_at_origin: str | None = None,
        days: int | None = 30,
        *,
        since: datetime | None = None,
    ) -> UsageStats:
        """Totals over final rows of the last ``days`` days (None: all time), or from ``since`` on."""
        ...

    async def usage_breakdown(
        self,
        by: BreakdownKey | str,
        origin: str | None = None,
        id_at_origin: str | None = None,
        days: int | None = 30,
        *,
        since: datetime | None = None,
    ) -> list[UsageBreakdownRow]:
        """Totals grouped by model (``provider:model``), provider, origin, user (id_at_origin),
        day (YYYY-MM-DD), alias (``(no alias)`` for calls that named a model) or ``tag:KEY`` (one
        row per value, then ``(untagged)``); the window as for ``get_usage_stats``."""
        ...

    async def list_calls(self, filters: CallFilters, limit: int = 100, offset: int = 0) -> list[CallRecord]:
        """Rows matching ``filters``, newest first (ties by id, descending)."""
        ...

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
        """The keyword form of ``list_calls``. ``before=(called_at, id)`` pages by keyset (fast at any depth)."""
        ...

    async def get_recent_calls(
        self, origin: str | None = None, id_at_origin: str | None = None, limit: int = 100
    ) -> list[CallRecord]:
        """The seed's name for ``list_recent_calls``."""
        ...

    async def get_call(self, record_id: str) -> CallRecord | None:
        """One row by id."""
        ...

    async def count_calls(self) -> int:
        """Number of rows in the call log."""
        ...

    # -- budgets (issue 16; see llmring.budgets) -------------------------------------------
    async def list_budgets(self) -> list[Budget]:
        """Every stored budget, in the order they were set."""
        ...

    async def save_budget(self, budget: Budget) -> None:
        """Store ``budget``, replacing the one of the same period and scope."""

    async def remove_budget(self, budget_id: str) -> bool:
        """Delete a budget and its holds; False if there was none."""
        ...

    async def budget_uses(self, budgets: Sequence[Budget], now: datetime | None = None) -> list[BudgetUse]:
        """Where each budget stands: spent in its period and held by calls in flight."""
        ...

    async def reserve_budgets(
        self, budgets: Sequence[Budget], call_id: str, amount: Decimal, *, hold_seconds: int = ...
    ) -> list[BudgetUse]:
        """Atomically (across processes) hold ``amount`` for ``call_id`` under every budget, or
        raise ``BudgetExceededError`` and hold nothing; returns the uses before the hold."""
        ...

    # -- captured content (issue 17) --------------------------------------------------------
    async def tag_keys(self, limit: int = 50) -> list[str]:
        """The tag keys ever logged (at most ``limit``, sorted): what ``tag:KEY`` breakdowns exist."""
        ...

    async def prune_calls(self, before: datetime, *, dry_run: bool = False) -> PruneReport:
        """Delete the rows logged before ``before`` (and captured content only they used), keeping
        the daily rollups so whole-day totals stay the same; ``dry_run`` only counts (issue 16,
        ``llmring.retention``)."""
        ...

    async def find_calls(self, id_prefix: str, limit: int = 2) -> list[CallRecord]:
        """Rows whose id starts with ``id_prefix``, in id order (``calls show`` takes a prefix)."""
        ...

    async def get_call_content(self, record_id: str) -> CapturedCall | None:
        """What the row ``record_id`` asked and answered, if its content was captured."""
        ...

    async def get_call_contents(self, record_ids: Sequence[str]) -> dict[str, CapturedCall]:
        """The captured content of each of ``record_ids`` that has some, by id."""
        ...

    async def latest_conversation(self, origin: str | None = None) -> str | None:
        """The ``conversation_id`` of the most recent call in a conversation (from ``origin``, if
        given), or None when no call was in one."""
        ...

    async def forget_content(self, record_ids: Sequence[str]) -> int:
        """Remove the captured content of ``record_ids`` (their rows, tokens and cost stay, and so
        do pieces that other calls share); returns how many of them had content."""
        ...

    async def prune_content(self, before: datetime) -> int:
        """``forget_content`` for every row called before ``before`` (and drop pieces no call
        uses any more); returns how many rows had content."""
        ...

    # -- response cache ---------------------------------------------------------------------
    async def cache_get(self, key: str) -> dict[str, Any] | None:
        """The cached value for ``key`` if present and not expired."""
        ...

    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds``."""
        ...

    async def cache_purge_expired(self) -> int:
        """Delete expired entries; returns how many."""
        ...
