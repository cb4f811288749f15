"""``LLMRing``: route -> check -> cache -> provider -> cost -> log, for every call.

::

    async with LLMRing() as ring:
        response = await ring.chat(LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="Hi")]))
        print(response.content, response.usage["cost"])

Nothing happens at construction: the store (``DATABASE_URL`` if set, else the embedded SQLite
file; or the given connection string / pgdbm manager) is opened on first use, and each provider
is created on first use, all sharing one keep-alive ``httpx.AsyncClient``. Every call is logged
(successes, failures, each retried attempt, cache hits) by a ``BackgroundWriter`` that never
blocks or fails the call. ``LLMRingSQLite`` is this same class pointed at a SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from llmring.cache import cache_key, is_cacheable, ttl_for
from llmring.call_log import CallLog
from llmring.cost import CostResult, compute_cost
from llmring.schemas import Usage
from llmring.service_base import ServiceBase, logger
from llmring.service_support import (
    StreamAssembler,
    check_capabilities,
    chunk_from_response,
    response_from_cache,
    to_cache_entry,
    valid_cache_entry,
)

if TYPE_CHECKING:
    from llmring.providers.base import BaseProvider
    from llmring.routing import Route
    from llmring.schemas import LLMRequest, LLMResponse, StreamChunk

_CALL_ERRORS = (Exception, asyncio.CancelledError)


class StreamClosedEarly(Exception):
    """The caller stopped reading a stream before it ended (logged as an error row)."""


class LLMRing(ServiceBase):
    """The llmring service: one object per application, shared by all its calls.

    ``providers`` injects ready-made providers by name; ``http_client`` injects the client that
    lazily created providers share. ``max_retries`` and ``timeout`` (seconds) apply to those.
    """

    # -- calls ----------------------------------------------------------------------------------
    async def chat(self, request: LLMRequest, id_at_origin: str | None = None) -> LLMResponse:
        """Send ``request`` to its model and return the response, priced and logged.

        ``response.usage["cost"]`` is the Decimal cost (None when the model is unpriced);
        ``response.metadata`` has ``cost_breakdown``, ``unpriced`` and ``call_id``.
        """
        route = await self._route(request.model)
        provider = self._ready_provider(route)
        log = self._call_log(route, request, id_at_origin, stream=False)
        key: str | None = None
        try:
            check_capabilities(route, request)
            if is_cacheable(request):
                key = cache_key(route.provider, route.model_name, request)
                entry = await self._cache_get(key)
                if entry is not None:
                    return self._serve_hit(entry, route, log)
            response = await provider.chat(self._for_provider(request, route), on_retry=log.on_retry)
        except _CALL_ERRORS as exc:
            log.failure(exc)
            raise
        cost = self._price(route, response.usage)
        log.success(response.usage, cost, finish_reason=response.finish_reason, request_id=response.request_id)
        self._attach_cost(response, route, cost, log.call_id)
        if key is not None:
            await self._cache_set(key, to_cache_entry(response), ttl_for(request))
        return response

    async def chat_stream(self, request: LLMRequest, id_at_origin: str | None = None) -> AsyncIterator[StreamChunk]:
        """Stream ``request``'s answer; the final chunk's ``usage`` carries the cost.

        Time to first token is logged. A caller that stops reading early gets an error row
        (``StreamClosedEarly``) so the call is not lost from the log.
        """
        route = await self._route(request.model)
        provider = self._ready_provider(route)
        log = self._call_log(route, request, id_at_origin, stream=True)
        key: str | None = None
        try:
            check_capabilities(route, request, stream=True)
            entry = None
            if is_cacheable(request):
                key = cache_key(route.provider, route.model_name, request)
                entry = await self._cache_get(key)
        except _CALL_ERRORS as exc:
            log.failure(exc)
            raise
        if entry is not None:
            log.mark_first_token()
            yield chunk_from_response(self._serve_hit(entry, route, log))
            return

        assembler = StreamAssembler() if key is not None else None
        finished = False
        finish_reason: str | None = None
        request_id: str | None = None
        try:
            stream = provider.stream(self._for_provider(request, route), on_retry=log.on_retry)
            async with contextlib.aclosing(stream) as chunks:  # type: ignore[type-var]
                async for chunk in chunks:
                    if chunk.delta or chunk.tool_calls:
                        log.mark_first_token()
                    if assembler is not None:
                        assembler.add(chunk)
                    finish_reason = chunk.finish_reason or finish_reason
                    request_id = chunk.request_id or request_id
                    if chunk.usage is not None and not finished:
                        # The usage chunk is the last one: log before handing it over, so a
                        # caller that stops right after it still leaves a success row.
                        finished = True
                        usage = chunk.usage
                        cost = self._price(route, usage)
                        log.success(usage, cost, finish_reason=finish_reason, request_id=request_id)
                        chunk.usage = {**usage, "cost": cost.total}
                        if assembler is not None and key is not None:
                            cached = assembler.response(route.model_name, finish_reason, usage, request_id)
                            await self._cache_set(key, to_cache_entry(cached), ttl_for(request))
                    yield chunk
        except GeneratorExit:
            if not finished:
                log.failure(StreamClosedEarly("the caller closed the stream before it ended"))
            raise
        except _CALL_ERRORS as exc:
            if not finished:
                log.failure(exc)
            raise
        if not finished:
            # The provider reported no usage: the call worked, but its cost is unknown.
            log.success(None, CostResult(total=None), finish_reason=finish_reason, request_id=request_id)

    # -- the steps of a call ----------------------------------------------------------------
    def _ready_provider(self, route: Route) -> BaseProvider:
        """The route's provider, checked for its API key: a missing key is a configuration error,
        raised before the call is logged (no request was made, so there is no call to record)."""
        provider = self.get_provider(route.provider)
        if provider.requires_api_key:
            provider.require_api_key()
        return provider

    def _call_log(self, route: Route, request: LLMRequest, id_at_origin: str | None, *, stream: bool) -> CallLog:
        user = id_at_origin or (request.metadata or {}).get("id_at_origin") or "default"
        return CallLog(
            origin=self.origin,
            id_at_origin=str(user),
            provider=route.provider,
            model_name=route.model_name,
            request=request,
            sink=self._sink,
            stream=stream,
        )

    @staticmethod
    def _for_provider(request: LLMRequest, route: Route) -> LLMRequest:
        """The request with the provider's own model name (``openai:gpt-4o`` -> ``gpt-4o``)."""
        if request.model == route.model_name:
            return request
        return request.model_copy(update={"model": route.model_name})

    @staticmethod
    def _price(route: Route, usage: dict[str, Any] | None) -> CostResult:
        if usage is None:
            return CostResult(total=None)
        return compute_cost(route.model, Usage.model_validate(usage), provider=route.provider)

    @staticmethod
    def _attach_cost(response: LLMResponse, route: Route, cost: CostResult, call_id: str) -> None:
        response.usage["cost"] = cost.total
        response.metadata.update(cost_breakdown=cost.breakdown, unpriced=cost.total is None, call_id=call_id)
        if response.provider is None:
            response.provider = route.provider

    def _serve_hit(self, entry: dict[str, Any], route: Route, log: CallLog) -> LLMResponse:
        original = self._price(route, entry.get("usage") or {})
        log.cache_hit(original.total)
        return response_from_cache(entry, route, log.call_id, original.total)

    async def _cache_get(self, key: str) -> dict[str, Any] | None:
        try:
            backend = await self._cache_backend()
            entry = await backend.get(key)
        except Exception as exc:
            logger.warning("llmring: response cache unavailable, treating as a miss: %s", exc)
            return None
        return entry if valid_cache_entry(entry) else None

    async def _cache_set(self, key: str, entry: dict[str, Any], ttl_seconds: int) -> None:
        try:
            backend = await self._cache_backend()
            await backend.set(key, entry, ttl_seconds)
        except Exception as exc:
            logger.warning("llmring: could not store the response in the cache: %s", exc)
