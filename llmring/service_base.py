"""What ``LLMRing`` holds between calls: its store, providers, HTTP client, cache and registry.

Everything is created lazily: constructing an ``LLMRing`` opens no file, no connection and no
socket. The store is opened and initialised by the first call or query that needs it; a store
that cannot be opened never fails a call (routing falls back to the bundled registry, the cache
misses and log rows wait in the writer's queue), but it does fail a query such as
``get_usage_stats`` with a ``DatabaseError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, cast

from llmring.cache import MemoryCache, ResponseCache, StoreCache
from llmring.errors import ConfigurationError, ModelNotFoundError
from llmring.log_writer import BackgroundWriter
from llmring.routing import Route, resolve
from llmring.schemas import PROVIDERS, LLMModel, UsageStats

if TYPE_CHECKING:
    import httpx

    from llmring.providers.base import BaseProvider
    from llmring.schemas import CallRecord
    from llmring.settings import DatabaseTarget
    from llmring.store import Store

logger = logging.getLogger("llmring")


class ServiceBase:
    """State and plumbing of the service (the call path is in ``llmring.service.LLMRing``)."""

    def __init__(
        self,
        db_connection_string: str | None = None,
        db_manager: Any = None,
        origin: str = "llmring",
        enable_db_logging: bool = True,
        *,
        providers: dict[str, BaseProvider] | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_retries: int = 2,
        timeout: float = 60,
        cache: ResponseCache | None = None,
    ) -> None:
        from llmring.settings import resolve_database

        self.origin = origin
        self.enable_db_logging = enable_db_logging
        self.max_retries = max_retries
        self.timeout = timeout
        self._db_manager = db_manager
        self._target: DatabaseTarget | None = None
        if enable_db_logging and db_manager is None:
            self._target = resolve_database(database_url=db_connection_string)
        self._store: Store | None = None
        self._guard: asyncio.Task[None] | None = None
        self._store_lock = asyncio.Lock()
        self._store_warned = False
        self._providers: dict[str, BaseProvider] = dict(providers or {})
        self._http_client = http_client
        self._owns_client = http_client is None
        self._cache: ResponseCache | None = cache
        self._models: list[LLMModel] | None = None
        self._routes: dict[str, Route] = {}
        self.writer: BackgroundWriter | None = None
        if enable_db_logging:
            # The writer reaches the store through a weak reference, so a forgotten LLMRing is
            # not kept alive by its own writer (no reference cycle).
            ring = weakref.ref(self)

            async def store_for_writer() -> Store:
                owner = ring()
                if owner is None:
                    raise ConfigurationError("the LLMRing that owned these log rows is gone")
                return await owner._open_store()

            self.writer = BackgroundWriter(store_for_writer)

    def __repr__(self) -> str:
        where = self._target.describe() if self._target else ("db_manager" if self._db_manager else "no logging")
        return f"{type(self).__name__}(origin={self.origin!r}, store={where!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- store ----------------------------------------------------------------------------------
    @property
    def _sink(self) -> Callable[[CallRecord], None] | None:
        """Where call rows go (None when logging is off: rows are then not even built)."""
        return self.writer.put if self.writer is not None else None

    def _make_store(self) -> Store:
        if self._db_manager is not None:
            try:
                from llmring.db import LLMDatabase
            except ModuleNotFoundError as exc:
                raise ConfigurationError("the PostgreSQL backend (llmring.db) is not available") from exc
            return cast("Store", LLMDatabase(db_manager=self._db_manager))
        from llmring.store import open_store

        assert self._target is not None
        return open_store(self._target)

    async def _open_store(self) -> Store:
        """The initialised store (opened on first use); raises if logging is off or it fails."""
        if self._store is not None:
            return self._store
        if not self.enable_db_logging:
            raise ConfigurationError("database logging is off for this LLMRing (enable_db_logging=False)")
        self._arm_loop_exit_guard()
        async with self._store_lock:
            if self._store is None:
                store = self._make_store()
                await store.initialize()
                self._store = store
        return self._store

    def _arm_loop_exit_guard(self) -> None:
        """Make sure the end of this event loop writes queued rows and closes the store.

        A program that never calls ``close()`` would otherwise lose its last log rows and hang at
        exit on the store's worker thread. ``asyncio.run`` cancels every task when ``main`` ends;
        this task's cancellation does the cleanup. It holds the service only weakly.
        """
        loop = asyncio.get_running_loop()
        if self._guard is not None and not self._guard.done() and self._guard.get_loop() is loop:
            return
        ring = weakref.ref(self)

        async def guard() -> None:
            try:
                await loop.create_future()
            except asyncio.CancelledError:
                owner = ring()
                # close() detaches its guard before cancelling it: it has written and reported
                # the rows itself, and must not see them drained (and the store reopened) again.
                if owner is not None and owner._guard is asyncio.current_task():
                    await owner._release_store()
                raise

        self._guard = loop.create_task(guard(), name="llmring-loop-exit-guard")

    async def _release_store(self) -> None:
        """Write what is queued (once) and close the store; it reopens on next use."""
        if self.writer is not None:
            left = await self.writer.drain_now()
            if left:
                logger.warning(
                    "llmring: %d call-log row(s) not written before the event loop ended"
                    " (call `await ring.close()` before it ends): %s",
                    left,
                    self.writer.last_error,
                )
        store, self._store = self._store, None
        if isinstance(self._cache, StoreCache):
            self._cache = None
        if store is not None:
            await store.close()

    async def _store_or_none(self) -> Store | None:
        """The store for the call path: None (and one warning) when it cannot be opened."""
        if not self.enable_db_logging:
            return None
        try:
            return await self._open_store()
        except Exception as exc:
            if not self._store_warned:
                self._store_warned = True
                logger.warning("llmring: database unavailable, calls continue and log rows wait: %s", exc)
            return None

    async def _cache_backend(self) -> ResponseCache:
        if self._cache is None:
            if not self.enable_db_logging:
                self._cache = MemoryCache()
            else:
                self._cache = StoreCache(await self._open_store())
        return self._cache

    # -- registry and routing -------------------------------------------------------------------
    async def _known_models(self) -> list[LLMModel]:
        """The store's registry when it has one, else the bundled registry."""
        if self._models is not None:
            return self._models
        from llmring.registry import bundled_models

        store = await self._store_or_none()
        models: list[LLMModel] = []
        if store is not None:
            try:
                models = await store.list_models(active_only=False)
            except Exception as exc:
                logger.warning("llmring: could not read the model registry from the database: %s", exc)
                store = None
        if not models:
            models = list(bundled_models())
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

    # -- providers ------------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        if self._http_client is None:
            import httpx

            limits = httpx.Limits(max_connections=256, max_keepalive_connections=128)
            self._http_client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
            self._owns_client = True
        return self._http_client

    def get_provider(self, name: str) -> BaseProvider:
        """The provider ``name``, created on first use (a missing key fails when it is used)."""
        provider = self._providers.get(name)
        if provider is None:
            provider = self.register_provider(name)
        return provider

    def register_provider(self, name: str, provider: BaseProvider | None = None, **kwargs: Any) -> BaseProvider:
        """Use ``provider`` for ``name``, or create it with ``kwargs`` (api_key, base_url, ...)."""
        if provider is None:
            from llmring.providers import create_provider

            if name not in PROVIDERS:
                raise ConfigurationError(f"unknown provider {name!r}: expected one of {', '.join(PROVIDERS)}")
            options = {"client": self._client(), "timeout": self.timeout, "max_retries": self.max_retries, **kwargs}
            provider = create_provider(name, **options)
        self._providers[name] = provider
        return provider

    # -- queries --------------------------------------------------------------------------------
    async def _query_store(self) -> Store:
        store = await self._open_store()
        if self.writer is not None:
            await self.writer.flush(timeout=5.0)  # so a query sees the calls made just before it
        return store

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

    # -- shutdown -------------------------------------------------------------------------------
    async def flush(self, timeout: float | None = None) -> int:
        """Write queued log rows now; returns how many are still queued."""
        return 0 if self.writer is None else await self.writer.flush(timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Write queued log rows (for at most ``timeout`` s), then close providers, client and store.

        Rows that could not be written are counted in ``self.writer.unwritten`` and a warning.
        """
        if self.writer is not None:
            await self.writer.close(timeout)
        for provider in self._providers.values():
            await provider.aclose()
        if self._http_client is not None and self._owns_client:
            await self._http_client.aclose()
            self._http_client = None
        store, self._store = self._store, None
        if store is not None:
            await store.close()
        guard, self._guard = self._guard, None
        if guard is not None and not guard.done() and guard.get_loop() is asyncio.get_running_loop():
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await guard
