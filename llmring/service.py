"""``LLMRing``: route -> check -> cache -> provider -> cost -> log, for every call.

::

    async with LLMRing() as ring:
        response = await ring.chat(LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="Hi")]))
        print(response.content, response.usage["cost"])

Nothing happens at construction: the store (``DATABASE_URL`` if set, else the embedded SQLite
file; or the given connection string, ``DatabaseTarget`` or pgdbm manager) is opened on first use
by a ``LazyStore``, and each provider is created on first use, all sharing one keep-alive
``httpx.AsyncClient``. A store that cannot be opened never fails a call (routing falls back to
the bundled registry, the cache misses and log rows wait in the writer's queue), but it does fail
a query such as ``get_usage_stats`` with a ``DatabaseError``. Every call is logged (successes,
failures, each retried attempt, cache hits) by a ``CallRecorder`` whose rows the ``LazyStore``'s
``BackgroundWriter`` writes in batches, never blocking or failing the call. ``LLMRingSQLite`` is
this same class pointed at a SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

from llmring.cache import (
    CacheAccess,
    MemoryCache,
    ResponseCache,
    StoreCache,
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
from llmring.cost import CostResult, compute_cost, price_for, unpriced_reason
from llmring.errors import (
    ConfigurationError,
    ContextLengthExceededError,
    DatabaseError,
    LLMRingError,
    MissingAPIKeyError,
    ModelNotFoundError,
    StreamClosedEarly,
    StructuredOutputError,
    UnpricedModelError,
    UnsupportedFeatureError,
)
from llmring.fallback import Hops, estimate_tokens, moves_on, window_problem
from llmring.routing import Route, check_capabilities, resolve
from llmring.schemas import PROVIDERS, LLMModel, UsageStats, utc_now
from llmring.tags import call_tags

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

    from llmring.budget_guard import BudgetGuard
    from llmring.budgets import Budget
    from llmring.capture import Capture
    from llmring.config import Config
    from llmring.conversation import Conversation
    from llmring.estimate import Estimate
    from llmring.lazy_store import LazyStore
    from llmring.log_writer import BackgroundWriter
    from llmring.progress import ProgressHook, ProgressKind
    from llmring.providers.base import BaseProvider
    from llmring.schemas import CallRecord, LLMRequest, LLMResponse, StreamChunk
    from llmring.settings import DatabaseTarget
    from llmring.store import Store
    from llmring.structured import OutputSchema

logger = logging.getLogger("llmring")

_CALL_ERRORS = (Exception, asyncio.CancelledError)

# Refused by llmring before anything was sent: not a provider call, so not logged.
_UNSENT = UnsupportedFeatureError
_PROMPT_CACHE_COUNTS = ("cached_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LLMRing:
    """The llmring service: one object per application, shared by all its calls.

    ``providers`` injects ready-made providers by name; ``http_client`` injects the client that
    lazily created providers share. ``max_retries``, ``timeout`` (seconds per attempt, a stream's
    body included), ``idle_timeout`` (seconds between stream events) and ``deadline`` (seconds for
    the whole call, retries included) apply to those (``llmring.providers.limits``).
    ``database`` names the store as a resolved ``DatabaseTarget`` (what the CLI passes); the
    seed's ``db_connection_string`` (``postgresql://...`` or ``sqlite:///path``) does the same.

    ``aliases`` maps a name to a model or a fallback chain of models (``llmring.fallback``); a
    request may name an alias wherever it names a model. Arguments not given come from the
    ``llmring.toml`` settings (``config``: a ``Config``, a file path, or False for none; by default
    the files ``llmring.config`` finds): its ``[aliases]``, ``origin``, ``timeout``, ``retries``
    and ``database`` (after ``LLMRING_SQLITE_DB`` / ``DATABASE_URL``).

    ``log_content=True`` also logs what each call asked and answered (messages, tool
    definitions, the answer, its tool calls and parsed JSON; see ``llmring.capture``), with API
    keys and anything matching ``redact_patterns`` replaced by ``***``. Attachments are logged
    as type, size and SHA-256 unless ``log_attachments=True``. Off by default: an application
    that logs its users' prompts must choose to.

    ``progress`` is told what each call is doing while its caller waits (``llmring.progress``:
    waiting for a model, retrying after a delay, falling back to an alias's next model).

    Call rows are written in batches by a background task (``durability="batched"``, the
    default: a kill -9 loses the rows of the last tens of ms, see the README). ``durability="sync"`` makes each call
    wait until its row is committed, raising ``DatabaseError`` if it cannot be. At most
    ``max_queue`` rows wait in memory; past that (and at ``close`` when the database is still
    unreachable) they go to a local file, written when the database is next opened.

    ``budgets`` (``llmring.Budget``) are enforced before each call they cover, together with
    the budgets stored in the ledger (``llmring budget set``); see ``llmring.budgets``.

    ``strict_cost=True`` refuses, before anything is sent, a model whose calls cannot be priced
    (not in the registry, or without prices there) with ``UnpricedModelError``; the default is
    the ``LLMRING_STRICT_COST`` environment variable (``1``/``true``/``yes``/``on``), else off.
    """

    def __init__(
        self,
        db_connection_string: str | None = None,
        db_manager: Any = None,
        origin: str | None = None,
        enable_db_logging: bool = True,
        *,
        database: DatabaseTarget | None = None,
        providers: dict[str, BaseProvider] | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        cache: ResponseCache | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        aliases: Mapping[str, str | Sequence[str]] | None = None,
        config: Config | str | os.PathLike[str] | bool | None = None,
        log_content: bool = False,
        log_attachments: bool = False,
        redact_patterns: Sequence[str | re.Pattern[str]] = (),
        progress: ProgressHook | None = None,
        durability: Literal["batched", "sync"] = "batched",
        max_queue: int = 10_000,
        budgets: Sequence[Budget] | None = None,
        strict_cost: bool | None = None,
    ) -> None:
        from llmring.config import Config, load_config, store_target
        from llmring.fallback import check_aliases
        from llmring.settings import resolve_database, strict_cost_default

        if database is not None and (db_connection_string or db_manager is not None):
            raise ConfigurationError("give LLMRing one of database=, db_connection_string= or db_manager=")
        if isinstance(config, Config):
            settings = config
        elif config is None or config is True:
            settings = load_config()
        else:
            settings = load_config(config) if config else Config()
        self.config = settings
        self.origin = origin or settings.get("origin") or "llmring"
        self.strict_cost = strict_cost_default() if strict_cost is None else strict_cost
        self.enable_db_logging = enable_db_logging
        self.max_retries: int = settings.get("retries") if max_retries is None else max_retries
        self.timeout: float = settings.get("timeout") if timeout is None else timeout
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.aliases: dict[str, tuple[str, ...]] = {**settings.aliases, **check_aliases(aliases)}
        self._db_manager = db_manager
        self._target: DatabaseTarget | None = None
        if enable_db_logging and db_manager is None:
            if database is None and not db_connection_string:
                database = store_target(settings)[0]
            self._target = database or resolve_database(database_url=db_connection_string)
        self._lazy_store: LazyStore | None = None
        if durability not in ("batched", "sync"):
            raise ConfigurationError(f"durability must be 'batched' or 'sync', not {durability!r}")
        if max_queue < 1:
            raise ConfigurationError(f"max_queue must be at least 1, not {max_queue!r}")
        self._sync = durability == "sync" and enable_db_logging
        if enable_db_logging:
            from llmring.lazy_store import LazyStore
            from llmring.spill import spill_dir

            self._lazy_store = LazyStore(
                self._make_store,
                owner=f"{type(self).__name__}(origin={origin!r})",
                durability=durability,
                max_queue=max_queue,
                spill_dir=spill_dir(self._target.identity()) if self._target is not None else None,
            )
        self._guard: BudgetGuard | None = None
        if enable_db_logging:
            from llmring.budget_guard import BudgetGuard

            self._guard = BudgetGuard(budgets or (), self._store_without_waiting)
        elif budgets:
            raise ConfigurationError("budgets need the call log: drop enable_db_logging=False to use them")
        self._providers: dict[str, BaseProvider] = dict(providers or {})
        self._http_client = http_client
        self._owns_client = http_client is None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._made_providers: set[str] = set()  # providers made here on this ring's own client
        self._cache: ResponseCache | None = cache
        self._cache_access = CacheAccess(self._cache_backend)
        self._models: list[LLMModel] | None = None
        self._routes: dict[str, Route] = {}
        self.progress = progress
        self.log_content = log_content and enable_db_logging
        self._capture: Capture | None = None
        if self.log_content:
            from llmring.capture import Capture

            self._capture = Capture(log_attachments=log_attachments, redact_patterns=redact_patterns)

    def __repr__(self) -> str:
        where = self._target.describe() if self._target else ("db_manager" if self._db_manager else "no logging")
        return f"{type(self).__name__}(origin={self.origin!r}, store={where!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def writer(self) -> BackgroundWriter | None:
        """The writer of this ring's call rows (None when logging is off)."""
        return self._lazy_store.writer if self._lazy_store is not None else None

    # -- calls ----------------------------------------------------------------------------------
    async def chat(
        self,
        request: LLMRequest,
        id_at_origin: str | None = None,
        *,
        response_model: type[BaseModel] | dict[str, Any] | None = None,
        conversation_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> LLMResponse:
        """Send ``request`` to its model (or its alias's chain) and return the response, priced and logged.

        ``response.usage["cost"]`` is the Decimal cost (None when the model is unpriced);
        ``response.metadata`` has ``cost_breakdown``, ``unpriced`` and ``call_id`` (and ``alias``
        and ``hop`` when an alias answered). A budget that the call would pass raises
        ``BudgetExceededError`` before anything is sent. ``tags`` (with ``request.metadata["tags"]``,
        which they override per key) are stored on the call's rows: ``llmring stats --by tag:KEY``,
        ``llmring calls --tag KEY=VALUE``.

        With ``response_model`` (a pydantic model class or a JSON schema dict) the provider's native
        structured output is asked for and ``response.parsed`` is the validated answer; an answer
        that does not validate raises ``StructuredOutputError`` (with the raw text) after the call
        was logged and priced (``llmring.structured``). ``conversation_id`` logs the call as a turn
        of that conversation (``llmring.conversation``).
        """
        call_tags = self._tags(request, tags)
        schema: OutputSchema | None = None
        if response_model is not None:
            from llmring.structured import output_schema, with_schema

            schema = output_schema(response_model)
            request = with_schema(request, schema)
        chain = self.aliases.get(request.model)
        if chain is not None:
            return await self._chat_chain(
                request.model, chain, request, id_at_origin, schema, conversation_id, call_tags
            )
        route = await self._route(request.model)
        if self.strict_cost:
            self._require_price(route)
        provider = self._ready_provider(route)
        sent = self._checked(route, request, stream=False)
        log = self._recorder(route, sent, id_at_origin, stream=False, conversation_id=conversation_id, tags=call_tags)
        if self.progress is not None:
            self._waiting(log, provider)
        return await self._chat_hop(route, provider, request, sent, log, schema, last=True)

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
        except _CALL_ERRORS as exc:
            if not isinstance(exc, _UNSENT):
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
            except _CALL_ERRORS as exc:
                error = hops.failed(route, exc)
                if last or not moves_on(exc):
                    if error is exc:
                        raise
                    raise error from exc
                continue
            response.metadata.update(alias=alias, hop=log.hop)
            return response
        raise hops.exhausted()

    def chat_stream(
        self,
        request: LLMRequest,
        id_at_origin: str | None = None,
        *,
        conversation_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        """Stream ``request``'s answer; the final chunk's ``usage`` carries the cost (``conversation_id``
        and ``tags`` as for ``chat``; a bad tag raises here).

        Time to first token is logged. A caller that stops reading early gets an error row
        (``StreamClosedEarly``) so the call is not lost from the log. Through an alias, a hop
        that fails before its first token falls over to the next model unseen; after it, the
        error is raised. (A plain function returning the stream, so a plain call's chunks pass
        through one generator, not two.)
        """
        call_tags = self._tags(request, tags)
        chain = self.aliases.get(request.model)
        if chain is not None:
            return self._stream_chain(request.model, chain, request, id_at_origin, conversation_id, call_tags)
        return self._stream_hop(request, id_at_origin, conversation_id=conversation_id, tags=call_tags)

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
            except _CALL_ERRORS as exc:
                if log.first_token_at is not None:
                    raise  # the caller has part of an answer: another model cannot continue it
                error = hops.failed(route, exc)
                if last or not moves_on(exc):
                    if error is exc:
                        raise
                    raise error from exc
        raise hops.exhausted()

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
            route = await self._route(request.model)
            if self.strict_cost:
                self._require_price(route)
            provider = self._ready_provider(route)
            sent = self._checked(route, request, stream=True)
            log = self._recorder(route, sent, id_at_origin, stream=True, conversation_id=conversation_id, tags=tags)
            if self.progress is not None:
                self._waiting(log, provider)
        else:
            route, provider, sent, log = hop
        key: str | None = None
        try:
            entry = None
            if is_cacheable(request):
                key = self._cache_key(route, provider, request)
                entry = await self._cache_access.get(key)
            if entry is None and self._guard is not None:
                await self._guard.reserve(route, sent, log)
        except _CALL_ERRORS as exc:
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
        except _CALL_ERRORS as exc:
            if not finished and not isinstance(exc, _UNSENT):
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

    async def estimate(self, request: LLMRequest) -> Estimate:
        """What ``request`` may cost, without sending it: input tokens (counted by the provider's
        free counting endpoint where it has one, else by ``llmring.estimate``'s stated heuristic),
        input cost, worst-case output cost (at ``max_tokens`` or the model's maximum) and the share
        of the context window used. Counting is not a completion: nothing is logged or cached.
        """
        from llmring.estimate import estimate

        route = await self._route(request.model)
        sent = self._checked(route, request, stream=False)
        # A missing key is no error here: the heuristic needs none (count_error says so).
        return await estimate(route, self.get_provider(route.provider), sent)

    # -- aliases ----------------------------------------------------------------------------------
    async def _chain_routes(self, alias: str, chain: tuple[str, ...]) -> list[Route]:
        """Every model of the chain routed before anything is sent (a typo fails the call at once)."""
        routes = []
        for model in chain:
            try:
                routes.append(await self._route(model))
            except ModelNotFoundError as exc:
                raise ModelNotFoundError(f"alias {alias!r}: {exc.message}") from None
        return routes

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

    def _waiting(
        self, log: CallRecorder, provider: BaseProvider, kind: ProgressKind = "waiting", why: str = ""
    ) -> None:
        """Tell the progress hook the call now waits for ``log``'s model (and its retries, too)."""
        from llmring.progress import Progress

        assert self.progress is not None
        log.progress, log.retries = self.progress, provider.max_retries
        self.progress(Progress(kind, f"{log.provider}:{log.model_name}", why))

    def conversation(self, model: str, *, system: str | None = None, **options: Any) -> Conversation:
        """A new ``Conversation`` with ``model``: its ``send(text)`` keeps the turns and logs each
        call under the conversation's id (``options``: ``LLMRequest`` fields, or ``conversation_id``
        and ``messages`` to go on with one; see ``llmring.conversation``)."""
        from llmring.conversation import Conversation

        return Conversation(self, model, system=system, **options)

    # -- the steps of a call ----------------------------------------------------------------
    async def _committed(self) -> None:
        """``durability="sync"``: wait until this call's row is in the store (raises if not)."""
        assert self._lazy_store is not None
        await self._lazy_store.committed()

    def _ready_provider(self, route: Route) -> BaseProvider:
        """The route's provider, checked for its API key: a missing key is a configuration error,
        raised before the call is logged (no request was made, so there is no call to record)."""
        provider = self.get_provider(route.provider)
        if provider.requires_api_key:
            provider.require_api_key()
        return provider

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

    @staticmethod
    def _require_price(route: Route) -> None:
        """``strict_cost``: refuse a model whose calls could not be priced (nothing is sent or logged)."""
        model = route.model
        if model is not None and model.price_periods:  # the clock is read only when prices are dated
            model = price_for(model, utc_now())
        why = unpriced_reason(model, route.provider, route.model_name)
        if why is not None:
            raise UnpricedModelError(
                f"{why}: refused before sending (strict_cost); run `llmring registry update`, "
                "or price it in a registry file loaded with `llmring json-refresh --models-dir DIR`",
                model=route.key,
            )

    async def unpriced_reason(self, model: str) -> str | None:
        """Why calls to ``model`` would be logged unpriced ("openai:gpt-9 is not in the registry"),
        or None when the registry prices them (see ``llmring.cost.unpriced_reason``)."""
        if model in self.aliases:
            return None  # each hop of an alias is priced by its own entry (its row says which)
        route = await self._route(model)
        return unpriced_reason(price_for(route.model, utc_now()), route.provider, route.model_name)

    @staticmethod
    def _price(route: Route, usage: dict[str, Any] | None) -> CostResult:
        if usage is None:
            return CostResult(total=None)
        # Priced with the prices in force now, the moment the call's row is stamped with.
        return compute_cost(route.model, usage, provider=route.provider, called_at=utc_now())

    @staticmethod
    def _attach_cost(response: LLMResponse, route: Route, cost: CostResult, call_id: str) -> None:
        response.usage["cost"] = cost.total
        LLMRing._add_cache_savings(response.usage, route, cost)
        response.metadata.update(cost_breakdown=cost.breakdown, unpriced=cost.total is None, call_id=call_id)
        if response.provider is None:
            response.provider = route.provider

    @staticmethod
    def _add_cache_savings(usage: dict[str, Any], route: Route, cost: CostResult) -> None:
        """``usage["prompt_cache_savings"]``: what prompt-cache reads and writes saved (negative: cost)
        against the same tokens at the uncached input price; only on calls that read or wrote."""
        if cost.total is None or not any(usage.get(k) for k in _PROMPT_CACHE_COUNTS):
            return
        uncached = compute_cost(
            route.model, {**usage, **dict.fromkeys(_PROMPT_CACHE_COUNTS, 0)}, provider=route.provider
        )
        if uncached.total is not None:
            usage["prompt_cache_savings"] = uncached.total - cost.total

    def _serve_hit(self, entry: dict[str, Any], route: Route, log: CallRecorder) -> LLMResponse:
        original = self._price(route, entry.get("usage") or {})
        response = response_from_cache(entry, route, log.call_id, original.total)
        log.cache_hit(original.total, text=response.content, tool_calls=response.tool_calls)
        return response

    def _cache_key(self, route: Route, provider: BaseProvider, request: LLMRequest) -> str:
        endpoint = getattr(provider, "endpoint_id", "")  # answers from one base URL never serve another
        return cache_key(route.provider, route.model_name, request, endpoint=endpoint, origin=self.origin)

    # -- store ----------------------------------------------------------------------------------
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

    # -- registry and routing -------------------------------------------------------------------
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

    # -- providers ------------------------------------------------------------------------------
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

    # -- shutdown -------------------------------------------------------------------------------
    async def flush(self, timeout: float | None = None) -> int:
        """Write queued log rows now; returns how many are still queued."""
        return 0 if self.writer is None else await self.writer.flush(timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Write queued log rows (for at most ``timeout`` s), then close the store, providers and client.

        Rows that could not be written are counted in ``self.writer.unwritten`` and a warning.
        """
        await self._cache_access.drain(timeout)  # before the store they write to closes
        if self._lazy_store is not None:
            await self._lazy_store.close(timeout)
        for provider in self._providers.values():
            await provider.aclose()
        if self._http_client is not None and self._owns_client:
            await self._http_client.aclose()
            self._http_client = None
