"""``AliasFallback``: a call to an alias, tried on each model of its chain until one answers.

Every model is routed first (a typo fails the call at once). A hop the prompt cannot fit, that
cannot do what was asked, has no API key or (``strict_cost``) no price is passed over with a row
saying why; a hop that fails in a way another model may not (``llmring.fallback.moves_on``) moves
on to the next. All hops share one ``CallRecorder``, so the call's rows say alias and hop. A
stream moves on only before its first token: after it the caller holds part of an answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from llmring._service.calls import CALL_ERRORS, CallSteps
from llmring.errors import (
    ContextLengthExceededError,
    LLMRingError,
    MissingAPIKeyError,
    StructuredOutputError,
    UnpricedModelError,
    UnsupportedFeatureError,
)
from llmring.fallback import Hops, estimate_tokens, moves_on, window_problem

if TYPE_CHECKING:
    from llmring.call_log import CallRecorder
    from llmring.providers.base import BaseProvider
    from llmring.routing import Route
    from llmring.schemas import LLMRequest, LLMResponse, StreamChunk
    from llmring.structured import OutputSchema


class AliasFallback(CallSteps):
    """An alias's chain of models, one hop after another (a mixin of ``LLMRing``)."""

    async def _chat_chain(
        self,
        alias: str,
        chain: tuple[str, ...],
        request: LLMRequest,
        id_at_origin: str | None,
        schema: OutputSchema | None,
        conversation_id: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> LLMResponse:
        hops = Hops(alias, estimate_tokens(request))
        routes = await self._chain_routes(alias, chain)
        log: CallRecorder | None = None
        for index, route in enumerate(routes):
            last = index == len(routes) - 1
            provider, sent, log = self._start_hop(
                hops,
                route,
                request,
                id_at_origin,
                log,
                stream=False,
                last=last,
                conversation_id=conversation_id,
                tags=tags,
            )
            if provider is None or sent is None:
                continue
            try:
                response = await self._chat_hop(route, provider, request, sent, log, schema, last=last)
            except StructuredOutputError:
                raise  # the model answered: another would be a second, billed answer
            except CALL_ERRORS as exc:
                error = hops.failed(route, exc)
                if last or not moves_on(exc):
                    if error is exc:
                        raise
                    raise error from exc
                continue
            response.metadata.update(alias=alias, hop=log.hop)
            return response
        raise hops.exhausted()

    async def _stream_chain(
        self,
        alias: str,
        chain: tuple[str, ...],
        request: LLMRequest,
        id_at_origin: str | None,
        conversation_id: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        hops = Hops(alias, estimate_tokens(request))
        routes = await self._chain_routes(alias, chain)
        log: CallRecorder | None = None
        for index, route in enumerate(routes):
            last = index == len(routes) - 1
            provider, sent, log = self._start_hop(
                hops,
                route,
                request,
                id_at_origin,
                log,
                stream=True,
                last=last,
                conversation_id=conversation_id,
                tags=tags,
            )
            if provider is None or sent is None:
                continue
            try:
                hop = self._stream_hop(request, id_at_origin, (route, provider, sent, log), last=last)
                async with contextlib.aclosing(hop) as chunks:
                    async for chunk in chunks:
                        yield chunk
                return
            except CALL_ERRORS as exc:
                if log.first_token_at is not None:
                    raise  # the caller has part of an answer: another model cannot continue it
                error = hops.failed(route, exc)
                if last or not moves_on(exc):
                    if error is exc:
                        raise
                    raise error from exc
        raise hops.exhausted()

    def _start_hop(
        self,
        hops: Hops,
        route: Route,
        request: LLMRequest,
        id_at_origin: str | None,
        log: CallRecorder | None,
        *,
        stream: bool,
        last: bool,
        conversation_id: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> tuple[BaseProvider | None, LLMRequest | None, CallRecorder]:
        """The next hop's provider, what it is sent, and the call's recorder (made at the first hop).

        A model the prompt cannot fit, that cannot do what was asked, or whose provider has no key
        is passed over (None, None) with a row saying why: nothing was sent to it.
        """
        reason = window_problem(route, request, hops.tokens, hops.exceeded)
        skipped: LLMRingError | None = None
        sent: LLMRequest | None = None
        provider: BaseProvider | None = None
        if reason is not None:
            skipped = ContextLengthExceededError(reason, provider=route.provider)
        else:
            try:
                if self.strict_cost:
                    self._require_price(route)  # strict_cost passes over a hop it could not price
                provider = self._ready_provider(route)
                sent = self._checked(route, request, stream=stream)
            except (MissingAPIKeyError, UnsupportedFeatureError, UnpricedModelError) as exc:
                skipped, reason = exc, f"skipped: {exc.message.split(': ', 1)[-1]}"
        if log is None:
            log = self._recorder(
                route, sent or request, id_at_origin, stream=stream, conversation_id=conversation_id, tags=tags
            )
            log.alias = hops.alias
        elif sent is not None:
            log.request = sent
        log.next_hop(route.provider, route.model_name)
        if skipped is None:
            assert provider is not None
            if self.progress is not None:
                before = hops.listed[-1] if hops.listed else None
                self._waiting(log, provider, *(("falling_back", f"{before[0]} {before[1]}") if before else ()))
            return provider, sent, log
        assert reason is not None
        log.failure(skipped, final=last)
        hops.skipped(route, reason, skipped)
        return None, None, log
