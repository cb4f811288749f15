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

This module holds the class's face: construction, ``chat``, ``chat_stream``, ``estimate``,
``conversation`` and shutdown. The rest of the class is mixed in from ``llmring._service``, one
concern per module (store and routing, providers, pricing, a call's steps, alias fallback, the
query API); mixins rather than helpers it delegates to, so each method keeps its name on
``LLMRing`` and a call's path gains no extra frame (see ``llmring._service``).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

from llmring._service.chain import AliasFallback
from llmring._service.queries import LedgerQueries
from llmring.cache import CacheAccess, ResponseCache
from llmring.errors import ConfigurationError

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel

    from llmring.budgets import Budget
    from llmring.config import Config
    from llmring.conversation import Conversation
    from llmring.estimate import Estimate
    from llmring.progress import ProgressHook
    from llmring.providers.base import BaseProvider
    from llmring.schemas import LLMRequest, LLMResponse, StreamChunk
    from llmring.settings import DatabaseTarget
    from llmring.structured import OutputSchema


class LLMRing(LedgerQueries, AliasFallback):
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
        self.max_retries = settings.get("retries") if max_retries is None else max_retries
        self.timeout = settings.get("timeout") if timeout is None else timeout
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.aliases = {**settings.aliases, **check_aliases(aliases)}
        self._db_manager = db_manager
        self._target = None
        if enable_db_logging and db_manager is None:
            if database is None and not db_connection_string:
                database = store_target(settings)[0]
            self._target = database or resolve_database(database_url=db_connection_string)
        self._lazy_store = None
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
        self._guard = None
        if enable_db_logging:
            from llmring.budget_guard import BudgetGuard

            self._guard = BudgetGuard(budgets or (), self._store_without_waiting)
        elif budgets:
            raise ConfigurationError("budgets need the call log: drop enable_db_logging=False to use them")
        self._providers = dict(providers or {})
        self._http_client = http_client
        self._owns_client = http_client is None
        self._client_loop = None
        self._made_providers = set()  # providers made here on this ring's own client
        self._cache = cache
        self._cache_access = CacheAccess(self._cache_backend)
        self._models = None
        self._routes = {}
        self.progress = progress
        self.log_content = log_content and enable_db_logging
        self._capture = None
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
        route, provider, sent, log = await self._start_plain(
            request, id_at_origin, stream=False, conversation_id=conversation_id, tags=call_tags
        )
        return await self._chat_hop(route, provider, request, sent, log, schema, last=True)

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

    def conversation(self, model: str, *, system: str | None = None, **options: Any) -> Conversation:
        """A new ``Conversation`` with ``model``: its ``send(text)`` keeps the turns and logs each
        call under the conversation's id (``options``: ``LLMRequest`` fields, or ``conversation_id``
        and ``messages`` to go on with one; see ``llmring.conversation``)."""
        from llmring.conversation import Conversation

        return Conversation(self, model, system=system, **options)

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
