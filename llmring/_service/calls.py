"""``CallSteps``: one model's attempt at a call, answered or streamed: cache, budget, send, price, log.

A plain call is one attempt; an alias's call is one attempt per hop (``llmring._service.chain``).
Each attempt reads the response cache, reserves its budgets, sends through the provider, prices
what came back and hands the row to the call's ``CallRecorder``; with ``durability="sync"`` it
waits for that row. What the model cannot do is refused before anything is sent or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Any

from llmring._service.pricing import CallPricing
from llmring._service.providers import ProviderRegistry
from llmring.cache import (
    StreamAssembler,
    cache_key,
    chunk_from_response,
    is_cacheable,
    response_from_cache,
    to_cache_entry,
    ttl_for,
    worth_caching,
)
from llmring.call_log import CallRecorder
from llmring.controls import attach, bundled_entry, plan
from llmring.cost import CostResult
from llmring.errors import DatabaseError, StreamClosedEarly, StructuredOutputError, UnsupportedFeatureError
from llmring.fallback import moves_on
from llmring.routing import Route, check_capabilities
from llmring.tags import call_tags

if TYPE_CHECKING:
    from llmring.progress import ProgressKind
    from llmring.providers.base import BaseProvider
    from llmring.schemas import LLMRequest, LLMResponse, StreamChunk
    from llmring.structured import OutputSchema

CALL_ERRORS = (Exception, asyncio.CancelledError)

# Refused by llmring before anything was sent: not a provider call, so not logged.
UNSENT = UnsupportedFeatureError


class CallSteps(CallPricing, ProviderRegistry):
    """The steps of one model's attempt at a call (a mixin of ``LLMRing``)."""

    async def _chat_hop(
        self,
        route: Route,
        provider: BaseProvider,
        request: LLMRequest,
        sent: LLMRequest,
        log: CallRecorder,
        schema: OutputSchema | None,
        *,
        last: bool,
    ) -> LLMResponse:
        """One model's attempt at the call (all of it for a plain call; one hop of an alias's)."""
        key: str | None = None
        try:
            if is_cacheable(request):
                key = self._cache_key(route, provider, request)
                entry = await self._cache_access.get(key)
                if entry is not None:
                    response = self._serve_hit(entry, route, log)
                    if self._sync:
                        await self._committed()
                    if schema is not None:
                        schema.parse(response)
                    return response
            if self._guard is not None:
                await self._guard.reserve(route, sent, log)
            response = await provider.chat(sent, on_retry=log.on_retry)
        except StructuredOutputError:
            raise  # a cache hit whose answer does not validate: its row is written already
        except CALL_ERRORS as exc:
            if not isinstance(exc, UNSENT):
                final = last or not moves_on(exc)
                log.failure(exc, final=final)
                if self._sync and final and not isinstance(exc, asyncio.CancelledError):
                    with contextlib.suppress(DatabaseError):  # the call's own error comes first
                        await self._committed()
            raise
        cost = self._price(route, response.usage)
        log.success(
            response.usage,
            cost,
            finish_reason=response.finish_reason,
            request_id=response.request_id,
            text=response.content,
            tool_calls=response.tool_calls,
        )
        self._attach_cost(response, route, cost, log.call_id)
        if self._sync:
            await self._committed()
        if schema is not None:
            schema.parse(response)  # an answer that does not validate is not cached
        if key is not None and worth_caching(response.finish_reason):
            await self._cache_access.put(key, to_cache_entry(response), ttl_for(request))
        return response

    async def _start_plain(
        self,
        request: LLMRequest,
        id_at_origin: str | None,
        *,
        stream: bool,
        conversation_id: str | None,
        tags: dict[str, str] | None,
    ) -> tuple[Route, BaseProvider, LLMRequest, CallRecorder]:
        """A call to one model (no alias): its route, provider, the request it is sent (checked
        against what the model can do) and the call's recorder."""
        route = await self._route(request.model)
        if self.strict_cost:
            self._require_price(route)
        provider = self._ready_provider(route)
        sent = self._checked(route, request, stream=stream)
        log = self._recorder(route, sent, id_at_origin, stream=stream, conversation_id=conversation_id, tags=tags)
        if self.progress is not None:
            self._waiting(log, provider)
        return route, provider, sent, log

    async def _stream_hop(
        self,
        request: LLMRequest,
        id_at_origin: str | None,
        hop: tuple[Route, BaseProvider, LLMRequest, CallRecorder] | None = None,
        *,
        last: bool = True,
        conversation_id: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        """One model's stream: all of a plain call (routed here), or one hop of an alias's (``hop``:
        its route, provider, the request it is sent and the call's recorder)."""
        if hop is None:
            hop = await self._start_plain(
                request, id_at_origin, stream=True, conversation_id=conversation_id, tags=tags
            )
        route, provider, sent, log = hop
        key: str | None = None
        try:
            entry = None
            if is_cacheable(request):
                key = self._cache_key(route, provider, request)
                entry = await self._cache_access.get(key)
            if entry is None and self._guard is not None:
                await self._guard.reserve(route, sent, log)
        except CALL_ERRORS as exc:
            log.failure(exc, final=last or not moves_on(exc))
            raise
        if entry is not None:
            log.mark_first_token()
            hit = chunk_from_response(self._serve_hit(entry, route, log))
            if self._sync:
                await self._committed()
            yield hit
            return

        assembler = StreamAssembler() if key is not None or self._capture is not None else None
        finished = False
        finish_reason: str | None = None
        request_id: str | None = None
        try:
            stream = provider.stream(sent, on_retry=log.on_retry)
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
                        text, calls = assembler.answer() if assembler is not None else (None, None)
                        log.success(
                            usage, cost, finish_reason=finish_reason, request_id=request_id, text=text, tool_calls=calls
                        )
                        chunk.usage = {**usage, "cost": cost.total}
                        self._add_cache_savings(chunk.usage, route, cost)
                        if self._sync:
                            await self._committed()
                        if assembler is not None and key is not None and worth_caching(finish_reason):
                            cached = assembler.response(route.model_name, finish_reason, usage, request_id)
                            await self._cache_access.put(key, to_cache_entry(cached), ttl_for(request))
                    yield chunk
        except GeneratorExit:
            if not finished:
                log.failure(StreamClosedEarly("the caller closed the stream before it ended"))
            raise
        except CALL_ERRORS as exc:
            if not finished and not isinstance(exc, UNSENT):
                # Before the first token, an alias's next model may take over.
                log.failure(exc, final=last or log.first_token_at is not None or not moves_on(exc))
            raise
        if not finished:
            # The provider reported no usage: the call worked, but its cost is unknown.
            text, calls = assembler.answer() if assembler is not None else (None, None)
            unknown = CostResult(total=None)
            log.success(None, unknown, finish_reason=finish_reason, request_id=request_id, text=text, tool_calls=calls)
            if self._sync:
                await self._committed()

    def _serve_hit(self, entry: dict[str, Any], route: Route, log: CallRecorder) -> LLMResponse:
        original = self._price(route, entry.get("usage") or {})
        response = response_from_cache(entry, route, log.call_id, original.total)
        log.cache_hit(original.total, text=response.content, tool_calls=response.tool_calls)
        return response

    def _cache_key(self, route: Route, provider: BaseProvider, request: LLMRequest) -> str:
        endpoint = getattr(provider, "endpoint_id", "")  # answers from one base URL never serve another
        return cache_key(route.provider, route.model_name, request, endpoint=endpoint, origin=self.origin)

    @staticmethod
    def _tags(request: LLMRequest, tags: Mapping[str, str] | None) -> dict[str, str] | None:
        """The call's checked tags (a bad one fails the call before anything is sent)."""
        if not tags and not request.metadata:
            return None  # the common case, without a function call
        return call_tags(tags, request.metadata)

    def _recorder(
        self,
        route: Route,
        request: LLMRequest,
        id_at_origin: str | None,
        *,
        stream: bool,
        conversation_id: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> CallRecorder:
        user = id_at_origin or (request.metadata or {}).get("id_at_origin") or "default"
        return CallRecorder(
            tags=tags,
            origin=self.origin,
            id_at_origin=str(user),
            provider=route.provider,
            model_name=route.model_name,
            request=request,
            sink=self._lazy_store.put if self._lazy_store is not None else None,
            stream=stream,
            capture=self._capture,
            conversation_id=conversation_id,
        )

    @staticmethod
    def _checked(route: Route, request: LLMRequest, *, stream: bool) -> LLMRequest:
        """What the provider is sent: ``request`` with the provider's own model name and the
        registry's plan for it (``llmring.controls``), after refusing what the model cannot do.

        Refusals happen before the call is logged: nothing was sent, so there is no call to record.
        """
        if route.model is None:
            # Routing knows active models only; a retired one still has its capabilities.
            known = bundled_entry(route.provider, route.model_name)
            route = route if known is None else Route(route.provider, route.model_name, known)
        check_capabilities(route, request, stream=stream)
        return attach(request, plan(request, route.provider, route.model_name, route.model))

    def _waiting(
        self, log: CallRecorder, provider: BaseProvider, kind: ProgressKind = "waiting", why: str = ""
    ) -> None:
        """Tell the progress hook the call now waits for ``log``'s model (and its retries, too)."""
        from llmring.progress import Progress

        assert self.progress is not None
        log.progress, log.retries = self.progress, provider.max_retries
        self.progress(Progress(kind, f"{log.provider}:{log.model_name}", why))
