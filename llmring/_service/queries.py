"""``LedgerQueries``: what a ring answers about its model registry and its call log.

Registry questions (``get_available_models``, ``get_model_info``, ``can_stream``) use the
registry calls are routed with, so they answer even when the store cannot be opened. Ledger
questions (``get_usage_stats``, ``list_recent_calls``) open the store, raising when it cannot be
opened, and flush the writer first so they see the calls made just before them;
``get_models_from_db`` and ``get_model_from_db`` read the store's registry (the bundled one when
logging is off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmring._service.store import StorePlumbing
from llmring.controls import bundled_entry
from llmring.errors import ModelNotFoundError

if TYPE_CHECKING:
    from llmring.schemas import CallRecord, LLMModel, UsageStats


class LedgerQueries(StorePlumbing):
    """The registry and call-log query API of ``LLMRing`` (a mixin)."""

    async def get_available_models(self) -> dict[str, list[str]]:
        """Active model names by provider, from the store's registry or the bundled one."""
        result: dict[str, list[str]] = {}
        for model in await self._known_models():
            if model.is_active:
                result.setdefault(model.provider, []).append(model.model_name)
        return result

    async def get_model_info(self, model: str) -> LLMModel:
        """The registry entry for ``model`` (any form ``chat`` accepts), or ``ModelNotFoundError``."""
        route = await self._route(model)
        if route.model is None:
            raise ModelNotFoundError(f"{route.key} is not in the model registry")
        return route.model

    async def can_stream(self, model: str) -> bool:
        """False when the registry says ``model`` cannot stream (``chat_stream`` refuses it), retired
        models included; True for a model the registry does not know. An alias streams only when
        every model of its chain can: a stream would pass over a hop that cannot, a wait does not."""
        chain = self.aliases.get(model)
        routes = await self._chain_routes(model, chain) if chain is not None else [await self._route(model)]
        for route in routes:
            entry = route.model or bundled_entry(route.provider, route.model_name)
            if entry is not None and not entry.supports_streaming:
                return False
        return True

    async def get_usage_stats(self, id_at_origin: str | None = None, days: int | None = 30) -> UsageStats:
        """Totals for this origin (and user, if given) over the last ``days`` days."""
        store = await self._query_store()
        return await store.get_usage_stats(origin=self.origin, id_at_origin=id_at_origin, days=days)

    async def list_recent_calls(self, id_at_origin: str | None = None, limit: int = 100) -> list[CallRecord]:
        """This origin's most recent call rows, newest first."""
        store = await self._query_store()
        return await store.list_recent_calls(origin=self.origin, id_at_origin=id_at_origin, limit=limit)

    async def get_models_from_db(self, provider: str | None = None, active_only: bool = True) -> list[LLMModel]:
        """Registry models from the store (the bundled registry when logging is off)."""
        if not self.enable_db_logging:
            from llmring.registry import bundled_models

            return [m for m in bundled_models() if provider is None or m.provider == provider]
        return await (await self._open_store()).list_models(provider=provider, active_only=active_only)

    async def get_model_from_db(self, provider: str, model_name: str) -> LLMModel | None:
        """One registry model from the store (the bundled registry when logging is off)."""
        if not self.enable_db_logging:
            from llmring.registry import find_bundled

            return find_bundled(provider, model_name)
        return await (await self._open_store()).get_model(provider, model_name)
