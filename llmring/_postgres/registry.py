"""The model registry in the PostgreSQL store: ``llm_models`` and ``llm_registry_versions``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmring import schemas
from llmring._postgres import codec, queries
from llmring._postgres.errors import translate_errors
from llmring._store.sync import plan_sync

if TYPE_CHECKING:
    from pgdbm import AsyncDatabaseManager

    from llmring.schemas import LLMModel
    from llmring.store import RegistryVersion, SyncReport


class PostgresRegistry:
    """The registry methods of ``LLMDatabase`` (see ``llmring.store.Store``)."""

    schema: str

    if TYPE_CHECKING:

        async def _manager_ready(self) -> AsyncDatabaseManager: ...

    @translate_errors
    async def list_models(self, provider: str | None = None, active_only: bool = True) -> list[LLMModel]:
        """Models ordered by provider then name (retired ones too unless ``active_only``)."""
        db = await self._manager_ready()
        sql, params = queries.models_query(provider, active_only)
        rows = await db.fetch_all(sql, *params)
        return [codec.model_from_row(row) for row in rows]

    @translate_errors
    async def get_model(self, provider: str, model_name: str) -> LLMModel | None:
        """One model (active or retired), or None."""
        db = await self._manager_ready()
        row = await db.fetch_one(
            "SELECT * FROM {{tables.llm_models}} WHERE provider = $1 AND model_name = $2", provider, model_name
        )
        return codec.model_from_row(row) if row else None

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

        All in one transaction (serialised with other syncs of this schema), ``versions``
        recorded in it. A retired model that comes back is reactivated and counted as updated.
        ``dry_run`` changes nothing.
        """
        db = await self._manager_ready()
        now = schemas.utc_now()
        async with db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock(hashtext('llmring_sync:' || $1))", self.schema)
            rows = await tx.fetch_all("SELECT * FROM {{tables.llm_models}}")
            existing = [(row["id"], codec.model_from_row(row)) for row in rows]
            plan = plan_sync(existing, models, providers, dry_run=dry_run)
            if dry_run:
                return plan.report
            if plan.inserts:
                inserts = [(m.provider, m.model_name, *codec.model_data(m), now, now) for m in plan.inserts]
                await tx.executemany(queries.INSERT_MODEL, inserts)
            if plan.updates:
                await tx.executemany(
                    queries.UPDATE_MODEL, [(*codec.model_data(m), now, row_id) for row_id, m in plan.updates]
                )
            if plan.retires:
                await tx.executemany(queries.RETIRE_MODEL, [(now, row_id) for row_id in plan.retires])
            if versions:
                await tx.executemany(
                    queries.UPSERT_REGISTRY_VERSION,
                    [(v.provider, v.version, v.updated, v.source, now) for v in versions],
                )
        return plan.report

    @translate_errors
    async def registry_versions(self) -> dict[str, RegistryVersion]:
        """The recorded registry version of each provider."""
        from llmring.registry import RegistryVersion

        db = await self._manager_ready()
        rows = await db.fetch_all("SELECT * FROM {{tables.llm_registry_versions}} ORDER BY provider")
        return {
            row["provider"]: RegistryVersion(
                provider=row["provider"],
                version=row["version"],
                updated=row["updated"],
                source=row["source"],
                applied_at=row["applied_at"],
            )
            for row in rows
        }
