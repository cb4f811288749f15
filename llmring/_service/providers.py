"""``ProviderRegistry``: a ring's providers, each made on first use, all on one shared HTTP client.

A provider made here gets the ring's keep-alive ``httpx.AsyncClient`` and its limits (timeout,
retries, idle timeout, deadline); an injected provider or client is used as given and never
replaced. The client is made lazily, inside the event loop that first needs it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from llmring._service.state import RingState
from llmring.errors import ConfigurationError
from llmring.schemas import PROVIDERS

if TYPE_CHECKING:
    import httpx

    from llmring.providers.base import BaseProvider
    from llmring.routing import Route


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class ProviderRegistry(RingState):
    """Providers by name: made, registered, checked for a key (a mixin of ``LLMRing``)."""

    def _client(self) -> httpx.AsyncClient:
        if self._http_client is None:
            import httpx

            limits = httpx.Limits(max_connections=256, max_keepalive_connections=128)
            self._http_client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
            self._owns_client = True
            self._client_loop = _running_loop()
        return self._http_client

    def _follow_loop(self) -> None:
        """A ring used by several ``asyncio.run()`` calls gets a new HTTP client on each loop.

        The client this ring made keeps connections bound to the loop it ran on; once that loop
        has ended they fail with "Event loop is closed". So the client and the providers made on
        it are dropped (an injected client is the caller's to manage and is kept).
        """
        if self._http_client is None or not self._owns_client:
            return
        loop = _running_loop()
        if loop is None or loop is self._client_loop:
            return
        self._http_client = None
        for name in self._made_providers:
            self._providers.pop(name, None)
        self._made_providers.clear()

    def get_provider(self, name: str) -> BaseProvider:
        """The provider ``name``, created on first use (a missing key fails when it is used)."""
        self._follow_loop()
        provider = self._providers.get(name)
        if provider is None:
            provider = self.register_provider(name)
        return provider

    def register_provider(self, name: str, provider: BaseProvider | None = None, **kwargs: Any) -> BaseProvider:
        """Use ``provider`` for ``name``, or create it with ``kwargs`` (api_key, base_url, ...)."""
        self._made_providers.discard(name)
        if provider is None:
            from llmring.providers import create_provider

            if name not in PROVIDERS:
                raise ConfigurationError(f"unknown provider {name!r}: expected one of {', '.join(PROVIDERS)}")
            options = {
                "client": self._client(),
                "timeout": self.timeout,
                "max_retries": self.max_retries,
                "idle_timeout": self.idle_timeout,
                "deadline": self.deadline,
                **kwargs,
            }
            provider = create_provider(name, **options)
            if "client" not in kwargs:
                self._made_providers.add(name)
        self._providers[name] = provider
        return provider

    def _ready_provider(self, route: Route) -> BaseProvider:
        """The route's provider, checked for its API key: a missing key is a configuration error,
        raised before the call is logged (no request was made, so there is no call to record)."""
        provider = self.get_provider(route.provider)
        if provider.requires_api_key:
            provider.require_api_key()
        return provider
