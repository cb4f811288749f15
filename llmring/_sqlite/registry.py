"""The model registry in the SQLite store: ``llm_models`` and ``llm_registry_versions``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmring import schemas
from llmring._sqlite import codec, queries
from llmring._sqlite.errors import translate_errors
from llmring._store.sync import plan_sync

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    import aiosqlite

    from llmring.schemas import LLMModel
    from llmring.store import RegistryVersion, SyncReport


class SQLiteRegistry:
    """The registry methods of ``SQLiteDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:

        async def _fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]: ...

        def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

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
