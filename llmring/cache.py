"""The response cache for deterministic requests, exactly as the seed describes it.

A request is cached only when it asks (``cache={"enabled": True}``) and is deterministic enough:
``temperature`` is set and at most 0.1 (0.1 caches, 0.11 does not; no temperature means the
provider's default, which is not deterministic). Entries live ``cache["ttl_seconds"]`` seconds,
default ``DEFAULT_TTL_SECONDS`` (one hour).

What is kept of a response is its answer and token counts (``to_cache_entry``); a hit is served as
a response with cost 0 and ``cached=True`` (``response_from_cache``), or as one stream chunk
(``chunk_from_response``); a streamed answer is assembled for the cache by ``StreamAssembler``.

Two backends behind one small protocol: ``StoreCache`` uses the store's ``cache_get``/``cache_set``
(SQLite or PostgreSQL) when database logging is on, ``MemoryCache`` (LRU + TTL, per process)
otherwise. A failing backend never fails a call: the service logs a warning and treats it as a miss.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from llmring.schemas import TOKEN_FIELDS, LLMResponse, StreamChunk

if TYPE_CHECKING:
    from llmring.routing import Route
    from llmring.schemas import LLMRequest
    from llmring.store import Store

# What the cache keeps of a response's usage: every token count, and their total.
_USAGE_KEYS = (*TOKEN_FIELDS, "total_tokens")

DEFAULT_TTL_SECONDS = 3600
MAX_CACHE_TEMPERATURE = 0.1
Clock = Callable[[], float]
logger = logging.getLogger("llmring")


def is_cacheable(request: LLMRequest) -> bool:
    """True when the request opts in and its temperature is set and <= 0.1."""
    cache = request.cache
    return bool(
        cache
        and cache.get("enabled")
        and request.temperature is not None
        and request.temperature <= MAX_CACHE_TEMPERATURE
    )


def ttl_for(request: LLMRequest) -> int:
    """The entry lifetime in seconds: ``cache["ttl_seconds"]`` or one hour."""
    ttl = (request.cache or {}).get("ttl_seconds")
    return int(ttl) if ttl else DEFAULT_TTL_SECONDS


# A reply cut short (or that is no answer) is not worth replaying: the next call may do better.
UNCACHED_FINISH_REASONS = frozenset({"length", "content_filter", "error"})


def worth_caching(finish_reason: str | None) -> bool:
    """False for a reply cut by ``max_tokens`` (``length``), a content filter, or an error."""
    return finish_reason not in UNCACHED_FINISH_REASONS


def cache_key(provider: str, model: str, request: LLMRequest, *, endpoint: str = "", origin: str | None = None) -> str:
    """SHA-256 over a canonical JSON of everything that shapes the answer, and whose answer it is.

    Covers the provider, the endpoint (``BaseProvider.endpoint_id``: two base URLs under one
    provider name are two caches), the origin (one tenant never gets another's answers, unless the
    request says ``cache={"shared": True}``), the resolved model name, the messages (attachments
    included: their base64 bytes are inside the content parts), temperature, max_tokens, top_p,
    stop, seed, tools, tool_choice, response_format, json_response, reasoning and the provider's
    own ``provider_options``. Not covered: ``metadata``, the rest of ``cache`` and ``timeout``,
    which do not change what the model says.
    """
    shared = bool((request.cache or {}).get("shared"))
    payload = {
        "provider": provider,
        "endpoint": endpoint,
        "origin": None if shared else origin,
        "model": model,
        "messages": [m.model_dump(mode="json", exclude_none=True) for m in request.messages],
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "top_p": request.top_p,
        "stop": request.stop,
        "seed": request.seed,
        "tools": request.tools,
        "tool_choice": request.tool_choice,
        "response_format": request.response_format,
        "json_response": request.json_response,
    }
    # Absent when unset, so older entries keep their keys.
    if request.reasoning is not None:
        payload["reasoning"] = request.reasoning
    options = (request.provider_options or {}).get(provider)
    if options:  # only what this provider is sent
        payload["provider_options"] = options
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache(Protocol):
    """Where cached responses live: a JSON-able dict per key, expiring after ``ttl_seconds``."""

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value for ``key`` if present and not expired."""
        ...

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` for ``ttl_seconds``."""
        ...


class MemoryCache:
    """An in-process LRU cache with per-entry TTL (``clock`` is injectable for tests)."""

    def __init__(self, max_entries: int = 1024, clock: Clock = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> dict[str, Any] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        self._entries[key] = (self._clock() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class StoreCache:
    """The store's cache table (SQLite or PostgreSQL), shared by every process on that database.

    The store expires entries by its own clock; the entry also carries its expiry by ``clock``
    (wall time) so expiry is exact and testable whatever the store does.
    """

    def __init__(self, store: Store, clock: Clock = time.time) -> None:
        self.store = store
        self._clock = clock

    async def get(self, key: str) -> dict[str, Any] | None:
        entry = await self.store.cache_get(key)
        if entry is None:
            return None
        expires_at = entry.get("expires_at")
        if isinstance(expires_at, int | float) and self._clock() >= expires_at:
            return None
        value = entry.get("value")
        return value if isinstance(value, dict) else None

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        await self.store.cache_set(key, {"expires_at": self._clock() + ttl_seconds, "value": value}, ttl_seconds)


class CacheAccess:
    """The service's way to the cache: a store's cache never holds up a call, nor fails one.

    A store serves the cache and the call log over one connection, so behind a write that waits
    for another process's lock (up to the busy timeout) a cache read would wait too. So, for a
    ``StoreCache``, a write runs as a task (at most ``MAX_WRITES`` at once; more are skipped), its
    entry served from memory until it lands; while writes are under way, a read that takes over
    ``read_wait`` seconds is a miss (it finishes on its own; nothing is cancelled inside the
    store). ``drain`` waits for the writes on close. Any other cache (``MemoryCache``, one passed
    to ``LLMRing(cache=...)``) is used inline, as it cannot wait on a lock. A failing cache is a
    miss and a warning.
    """

    MAX_WRITES = 256

    def __init__(self, backend: Callable[[], Awaitable[ResponseCache]], read_wait: float = 1.0) -> None:
        self._backend = backend
        self.read_wait = read_wait
        self._pending: dict[str, tuple[float, dict[str, Any]]] = {}  # key -> (expires, entry) being written
        self._writes: set[asyncio.Future[None]] = set()

    async def get(self, key: str) -> dict[str, Any] | None:
        """The valid entry under ``key``, or None (a miss, a slow or failing cache)."""
        pending = self._pending.get(key)
        if pending is not None and pending[0] > time.monotonic():
            return pending[1]
        try:
            backend = await self._backend()
            if isinstance(backend, StoreCache) and self._writes:
                # Only behind our own writes can the read queue up: then bound it (a task and a
                # timer cost about a loop turn, too much for every call).
                read = asyncio.ensure_future(backend.get(key))
                done, _ = await asyncio.wait((read,), timeout=self.read_wait)
                if not done:
                    read.add_done_callback(_consume)
                    logger.warning(
                        "llmring: the response cache took over %gs (is the database locked?), treating as a miss",
                        self.read_wait,
                    )
                    return None
                entry = read.result()
            else:
                entry = await backend.get(key)
        except Exception as exc:
            logger.warning("llmring: response cache unavailable, treating as a miss: %s", exc)
            return None
        return entry if valid_cache_entry(entry) else None

    async def put(self, key: str, entry: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``entry``: a store's write in the background, any other cache at once."""
        try:
            backend = await self._backend()
            if not isinstance(backend, StoreCache):
                await backend.set(key, entry, ttl_seconds)
                return
        except Exception as exc:
            logger.warning("llmring: could not store the response in the cache: %s", exc)
            return
        if len(self._writes) >= self.MAX_WRITES:
            return  # the store is not keeping up: this answer goes uncached rather than queue up
        self._pending[key] = (time.monotonic() + ttl_seconds, entry)
        write = asyncio.ensure_future(self._write(backend, key, entry, ttl_seconds))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)

    async def _write(self, backend: ResponseCache, key: str, entry: dict[str, Any], ttl_seconds: int) -> None:
        try:
            await backend.set(key, entry, ttl_seconds)
        except Exception as exc:
            logger.warning("llmring: could not store the response in the cache: %s", exc)
        finally:
            pending = self._pending.get(key)
            if pending is not None and pending[1] is entry:
                del self._pending[key]

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the writes under way; cancel what is left."""
        if not self._writes:
            return
        _, left = await asyncio.wait(set(self._writes), timeout=timeout)
        for write in left:
            write.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)
            logger.warning("llmring: %d response(s) not stored in the cache: the database did not answer", len(left))


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve a late read's outcome, so asyncio does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()


def to_cache_entry(response: LLMResponse) -> dict[str, Any]:
    """What the cache keeps of a response: the answer and its token counts (not its cost)."""
    return {
        "content": response.content,
        "model": response.model,
        "finish_reason": response.finish_reason,
        "tool_calls": response.tool_calls,
        "usage": {k: int(response.usage.get(k) or 0) for k in _USAGE_KEYS},
        "request_id": response.request_id,
    }


def response_from_cache(entry: dict[str, Any], route: Route, call_id: str, savings: Decimal | None) -> LLMResponse:
    """A cached entry as a response: cost 0, ``cached=True``, what it saved in ``metadata``."""
    usage = {k: int(v) for k, v in (entry.get("usage") or {}).items() if k in _USAGE_KEYS}
    return LLMResponse(
        content=entry["content"],
        model=entry.get("model") or route.model_name,
        usage={**usage, "cost": Decimal(0)},
        finish_reason=entry.get("finish_reason"),
        tool_calls=entry.get("tool_calls"),
        provider=route.provider,
        request_id=entry.get("request_id"),
        cached=True,
        metadata={
            "cache_hit": True,
            "cache_savings": savings,
            "cost_breakdown": {},
            "unpriced": False,
            "call_id": call_id,
        },
    )


def valid_cache_entry(entry: Any) -> bool:
    """A cache value we can serve (anything else is a miss)."""
    return isinstance(entry, dict) and isinstance(entry.get("content"), str) and isinstance(entry.get("usage"), dict)


def chunk_from_response(response: LLMResponse) -> StreamChunk:
    """A whole (cached) response as one final stream chunk."""
    calls = None
    if response.tool_calls:
        calls = [{"index": i, **call} for i, call in enumerate(response.tool_calls)]
    return StreamChunk(
        delta=response.content,
        model=response.model,
        finish_reason=response.finish_reason,
        usage=response.usage,
        tool_calls=calls,
        request_id=response.request_id,
    )


class StreamAssembler:
    """Collects a stream's text and tool-call deltas into one response (for the cache)."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}

    def add(self, chunk: StreamChunk) -> None:
        if chunk.delta:
            self.text.append(chunk.delta)
        for delta in chunk.tool_calls or ():
            call = self.calls.setdefault(
                int(delta.get("index", 0)), {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
            )
            if delta.get("id"):
                call["id"] = delta["id"]
            fn = delta.get("function") or {}
            if fn.get("name"):
                call["function"]["name"] = fn["name"]
            call["function"]["arguments"] += fn.get("arguments") or ""

    def answer(self) -> tuple[str, list[dict[str, Any]] | None]:
        """The text and tool calls so far (what a captured stream logs)."""
        return "".join(self.text), [self.calls[i] for i in sorted(self.calls)] or None

    def response(
        self, model: str, finish_reason: str | None, usage: dict[str, Any], request_id: str | None
    ) -> LLMResponse:
        calls = [self.calls[i] for i in sorted(self.calls)] or None
        return LLMResponse(
            content="".join(self.text),
            model=model,
            usage=usage,
            finish_reason=finish_reason,
            tool_calls=calls,
            request_id=request_id,
        )
