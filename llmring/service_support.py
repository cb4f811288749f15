"""Pieces of a call that need no state: capability checks, cache entries, stream assembly."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmring.errors import UnsupportedFeatureError
from llmring.schemas import LLMResponse, StreamChunk

if TYPE_CHECKING:
    from llmring.routing import Route
    from llmring.schemas import LLMRequest

_USAGE_KEYS = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "total_tokens",
)


def _part_types(request: LLMRequest) -> set[str]:
    types: set[str] = set()
    for message in request.messages:
        if isinstance(message.content, list):
            types.update(str(p.get("type")) for p in message.content if isinstance(p, dict))
    return types


def check_capabilities(route: Route, request: LLMRequest, *, stream: bool = False) -> None:
    """Refuse, before sending, what the registry says the model cannot do (tools, images, PDFs,
    streaming). Only cheap, certain checks: a model the registry does not know is never refused.
    """
    model = route.model
    if model is None:
        return
    if stream and not model.supports_streaming:
        raise UnsupportedFeatureError(f"{route.key} does not support streaming", provider=route.provider)
    if request.tools and not model.supports_function_calling:
        raise UnsupportedFeatureError(f"{route.key} does not support tools (function calling)", provider=route.provider)
    parts = _part_types(request) if any(isinstance(m.content, list) for m in request.messages) else set()
    if "image_url" in parts and not model.supports_vision:
        raise UnsupportedFeatureError(f"{route.key} does not accept images", provider=route.provider)
    if "document" in parts and not model.supports_pdf:
        raise UnsupportedFeatureError(f"{route.key} does not accept PDF documents", provider=route.provider)


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
