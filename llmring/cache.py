"""The response cache for deterministic requests, exactly as the seed describes it.

A request is cached only when it asks (``cache={"enabled": True}``) and is deterministic enough:
``temperature`` is set and at most 0.1 (0.1 caches, 0.11 does not; no temperature means the
provider's default, which is not deterministic). Entries live ``cache["ttl_seconds"]`` seconds,
default ``DEFAULT_TTL_SECONDS`` (one hour).

Two backends behind one small protocol: ``StoreCache`` uses the store's ``cache_get``/``cache_set``
(SQLite or PostgreSQL) when database logging is on, ``MemoryCache`` (LRU + TTL, per process)
otherwise. A failing backend never fails a call: the service logs a warning and treats it as a miss.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest
    from llmring.store import Store

DEFAULT_TTL_SECONDS = 3600
MAX_CACHE_TEMPERATURE = 0.1
Clock = Callable[[], float]


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


def cache_key(provider: str, model: str, request: LLMRequest) -> str:
    """SHA-256 over a canonical JSON of everything that shapes the answer.

    Covers the provider, the resolved model name, the messages (attachments included: their base64
    bytes are inside the content parts), temperature, max_tokens, top_p, stop, seed, tools,
    tool_choice, response_format and json_response. Not covered: ``metadata``, ``cache`` and
    ``timeout``, which do not change what the model says.
    """
    payload = {
        "provider": provider,
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
