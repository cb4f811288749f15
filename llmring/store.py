"""The one interface both stores implement: ``SQLiteDatabase`` and ``LLMDatabase`` (PostgreSQL).

The service, the CLI and the dashboard talk only to this protocol, and the store test suite runs
every test against both backends. SQL lives in the backends only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from llmring.schemas import CallRecord, LLMModel, SyncReport, UsageBreakdownRow, UsageStats

BreakdownKey = Literal["model", "provider", "origin", "day"]


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
        self, models: Sequence[LLMModel], providers: Sequence[str], *, dry_run: bool = False
    ) -> SyncReport:
        """Upsert ``models`` and retire the models of ``providers`` that are not in it.

        One transaction: either everything changes or nothing does. A retired model that
        reappears is reactivated (counted as updated).
        """
        ...

    # -- call log ---------------------------------------------------------------------------
    async def record_api_call(self, record: CallRecord | None = None, **fields: Any) -> str:
        """Insert one call row (a ``CallRecord`` or its fields as keywords); returns its id."""
        ...

    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        """Insert many rows in one transaction (the background writer's batch path)."""
        ...

    async def get_usage_stats(
        self, origin: str | None = None, id_at_origin: str | None = None, days: int | None = 30
    ) -> UsageStats:
        """Totals over final rows of the last ``days`` days (None: all time); zeros when empty."""
        ...

    async def usage_breakdown(
        self,
        by: BreakdownKey,
        origin: str | None = None,
        id_at_origin: str | None = None,
        days: int | None = 30,
    ) -> list[UsageBreakdownRow]:
        """Totals grouped by model (``provider:model``), provider, origin or day (YYYY-MM-DD)."""
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
        """Rows newest first. ``before=(called_at, id)`` pages by keyset (fast at any depth)."""
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
