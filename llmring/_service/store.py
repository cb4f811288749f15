"""``StorePlumbing``: the store a ring logs to, the response cache's backend, and model routing.

The store is opened on first use by the ring's ``LazyStore``; a call never waits long for it
(``COLD_OPEN_WAIT``) and never fails because of it: routing falls back to the bundled registry
and the cache to a throwaway ``MemoryCache``. A query (``_query_store``) does fail, with
``DatabaseError``. Routes are memoised once the registry they came from is settled.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from llmring._service.state import RingState
from llmring.cache import MemoryCache, StoreCache
from llmring.errors import ConfigurationError, DatabaseError, ModelNotFoundError
from llmring.routing import Route, resolve

if TYPE_CHECKING:
    from llmring.cache import ResponseCache
    from llmring.log_writer import BackgroundWriter
    from llmring.schemas import LLMModel
    from llmring.store import Store

logger = logging.getLogger("llmring")


class StorePlumbing(RingState):
    """Opening the store, the cache backend over it, sync commits and routing (a mixin of ``LLMRing``)."""

    @property
    def writer(self) -> BackgroundWriter | None:
        """The writer of this ring's call rows (None when logging is off)."""
        return self._lazy_store.writer if self._lazy_store is not None else None

    async def _committed(self) -> None:
        """``durability="sync"``: wait until this call's row is in the store (raises if not)."""
        assert self._lazy_store is not None
        await self._lazy_store.committed()

    def _make_store(self) -> Store:
        if self._db_manager is not None:
            from llmring.db import LLMDatabase

            return LLMDatabase(db_manager=self._db_manager)
        from llmring.store import open_store

        assert self._target is not None
        return open_store(self._target)

    async def _open_store(self) -> Store:
        """The initialised store (opened on first use); raises if logging is off or it fails."""
        if self._lazy_store is None:
            raise ConfigurationError("database logging is off for this LLMRing (enable_db_logging=False)")
        return await self._lazy_store.open()

    async def _store_without_waiting(self) -> Store:
        """The store for a call's own reads (budgets): a cold one behind another process's lock
        is waited for at most ``COLD_OPEN_WAIT`` seconds in all, then this raises."""
        from llmring.lazy_store import COLD_OPEN_WAIT

        assert self._lazy_store is not None
        store = await self._lazy_store.open_or_none(wait=COLD_OPEN_WAIT)
        if store is None:
            raise DatabaseError("the database is still opening (another process may hold its lock)")
        return store

    async def _cache_backend(self) -> ResponseCache:
        if self._cache is not None:
            return self._cache
        if self._lazy_store is None:
            self._cache = MemoryCache()
            return self._cache
        from llmring.lazy_store import COLD_OPEN_WAIT

        # Built per use (it is one small object): the store may have been closed and reopened.
        store = await self._lazy_store.open_or_none(wait=COLD_OPEN_WAIT)
        # Still opening (a cold file behind another process's lock) or unreachable: a throwaway
        # cache, so the call neither waits for the store nor warns again (open_or_none did).
        return MemoryCache() if store is None else StoreCache(store)

    async def _known_models(self) -> list[LLMModel]:
        """The store's registry when it has one, else the bundled registry."""
        if self._models is not None:
            return self._models
        from llmring.registry import bundled_models

        store = None
        if self._lazy_store is not None:
            from llmring.lazy_store import COLD_OPEN_WAIT

            store = await self._lazy_store.open_or_none(wait=COLD_OPEN_WAIT)
        models: list[LLMModel] = []
        if store is not None:
            try:
                models = await store.list_models(active_only=False)
            except Exception as exc:
                logger.warning("llmring: could not read the model registry from the database: %s", exc)
                store = None
        if not models:
            # Retired entries too (old names still price) and their dated prices, resolved per call.
            models = list(bundled_models(include_retired=True, price_history=True))
        if store is not None or not self.enable_db_logging:
            self._models = models  # a failing store is asked again next time
        return models

    async def _route(self, model_string: str) -> Route:
        route = self._routes.get(model_string)
        if route is None:
            route = resolve(model_string, await self._known_models())
            if self._models is not None:
                self._routes[model_string] = route
        return route

    async def _chain_routes(self, alias: str, chain: tuple[str, ...]) -> list[Route]:
        """Every model of the chain routed before anything is sent (a typo fails the call at once)."""
        routes = []
        for model in chain:
            try:
                routes.append(await self._route(model))
            except ModelNotFoundError as exc:
                raise ModelNotFoundError(f"alias {alias!r}: {exc.message}") from None
        return routes

    async def _query_store(self) -> Store:
        store = await self._open_store()
        if self.writer is not None:
            await self.writer.flush(timeout=5.0)  # so a query sees the calls made just before it
        return store
