"""Google Gemini (Developer API) over httpx: ``models/{model}:generateContent`` and its SSE stream.

The model name goes into the URL exactly as given (a leading ``models/`` is accepted and not
doubled); llmring never swaps one model for another (the upstream bug). The key travels in the
``x-goog-api-key`` header, never in the query string, where it would end up in logs.

Usage (wire_formats.md 3.3): ``promptTokenCount`` already includes cached tokens; completion is
``candidatesTokenCount + thoughtsTokenCount``; ``toolUsePromptTokenCount`` (built-in tool input)
is billed as input and added to the prompt. Errors are ``google.rpc.Status`` bodies, classified by
HTTP status, ``status`` and ``ErrorInfo.reason`` (``API_KEY_INVALID`` is an authentication error
although it comes as a 400); ``RetryInfo.retryDelay`` becomes the error's ``retry_after``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from llmring.errors import (
    ContentFilteredError,
    ProviderConnectionError,
    ResponseFormatError,
)
from llmring.providers.base import BaseProvider, RetryHook, response_shape
from llmring.providers.common import as_object, token_count
from llmring.providers.errors import provider_error, read_google
from llmring.providers.google_contents import build_body, tool_call_from_part
from llmring.providers.streams import MAX_EVENT_CHARS, JsonDepth, too_large
from llmring.schemas import LLMResponse, StreamChunk, Usage

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest

CONTENT_FILTER_REASONS = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "MODEL_ARMOR",
    }
)
ERROR_REASONS = frozenset(
    {
        "MALFORMED_FUNCTION_CALL",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE",
        "MALFORMED_RESPONSE",
    }
)


def google_usage(raw: Mapping[str, Any] | None) -> Usage:
    """Normalise ``usageMetadata`` (zero counts are omitted on the wire)."""
    raw = as_object(raw)
    thoughts = token_count(raw.get("thoughtsTokenCount"))
    return Usage(
        prompt_tokens=token_count(raw.get("promptTokenCount")) + token_count(raw.get("toolUsePromptTokenCount")),
        completion_tokens=token_count(raw.get("candidatesTokenCount")) + thoughts,
        cached_tokens=token_count(raw.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
        audio_tokens=_modality_count(raw.get("promptTokensDetails"), "AUDIO"),
        cached_audio_tokens=_modality_count(raw.get("cacheTokensDetails"), "AUDIO"),
    )


def _modality_count(details: Any, modality: str) -> int:
    """The tokens of one modality in a ``[{modality, tokenCount}]`` breakdown (0 when absent)."""
    if not isinstance(details, list):
        return 0
    return sum(
        token_count(item.get("tokenCount"))
        for item in details
        if isinstance(item, dict) and item.get("modality") == modality
    )


def finish_reason(reason: str | None, *, tool_calls: bool) -> str | None:
    """``finishReason`` in llmring's vocabulary; a function call ends with STOP, so look at the parts."""
    if reason is None:
        return None
    if not isinstance(reason, str):
        return "other"
    if reason == "STOP":
        return "tool_calls" if tool_calls else "stop"
    if reason == "MAX_TOKENS":
        return "length"
    if reason in CONTENT_FILTER_REASONS:
        return "content_filter"
    if reason in ERROR_REASONS:
        return "error"
    return "other"


class GoogleProvider(BaseProvider):
    """Gemini models through the Generative Language API (``x-goog-api-key``)."""

    name = "google"
    read_error = staticmethod(read_google)

    def model_url(self, model: str, *, stream: bool = False, method: str | None = None) -> str:
        """The method URL with the model exactly as requested (path-quoted)."""
        path = quote(model.removeprefix("models/"), safe="-._~@")
        method = method or ("streamGenerateContent?alt=sse" if stream else "generateContent")
        return f"{self.base_url}/models/{path}:{method}"

    def headers(self) -> dict[str, str]:
        """Auth header (raises ``MissingAPIKeyError`` before anything is sent)."""
        return {"x-goog-api-key": self.require_api_key(), "content-type": "application/json"}

    def _blocked(self, data: Mapping[str, Any]) -> ContentFilteredError | None:
        feedback = data.get("promptFeedback") or {}
        reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
        if reason and not data.get("candidates"):
            return ContentFilteredError(
                f"prompt blocked ({reason})",
                provider=self.name,
                status_code=200,
                error_code=str(reason),
                request_id=data.get("responseId"),
            )
        return None

    async def count_input_tokens(self, request: LLMRequest) -> int | None:
        """``request``'s input tokens by ``countTokens`` with the whole ``generateContentRequest``
        (so the system instruction and tools count too); free, nothing is generated."""
        headers = self.headers()
        inner = {"model": f"models/{request.model.removeprefix('models/')}", **build_body(request, self.name)}
        url = self.model_url(request.model, method="countTokens")
        return await self._post_count(url, {"generateContentRequest": inner}, headers, request, "totalTokens")

    async def chat(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> LLMResponse:
        """Send ``request`` to ``generateContent`` and return the normalised response."""
        headers = self.headers()
        body = build_body(request, self.name)
        data, _ = await self._post_json(self.model_url(request.model), body, headers, request, on_retry)
        with response_shape(self.name):
            blocked = self._blocked(data)
            if blocked is not None:
                raise blocked
            candidates = data.get("candidates") or [{}]
            candidate = candidates[0] if isinstance(candidates[0], dict) else {}
            parts = (candidate.get("content") or {}).get("parts") or []
            text = "".join(p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought"))
            calls = [tool_call_from_part(p) for p in parts if isinstance(p.get("functionCall"), dict)]
            return LLMResponse(
                content=text,
                model=request.model,
                usage=google_usage(data.get("usageMetadata")).as_dict(),
                finish_reason=finish_reason(candidate.get("finishReason"), tool_calls=bool(calls)),
                tool_calls=calls or None,
                provider=self.name,
                request_id=data.get("responseId"),
                metadata={"response_model": data.get("modelVersion")},
            )

    async def _payloads(self, response: httpx.Response) -> AsyncIterator[Any]:
        """JSON payloads of the SSE stream; a raw JSON error body mid-stream is yielded too.

        Gemini writes a mid-stream error as plain (often multi-line) JSON without ``data:``, so
        non-SSE lines are collected until their brackets balance, then parsed once (like
        google-genai's ``_RawJsonLineBuffer``, but without re-parsing on every line: that made
        200 KB of junk lines cost a minute). Anything else is a ``ResponseFormatError`` at once.
        """
        data: list[str] = []
        data_size = 0
        raw: list[str] = []
        depth = JsonDepth()
        async for line in self._iter_lines(response):
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
                data_size += len(line)
                if data_size > MAX_EVENT_CHARS:
                    raise too_large("event", self.name)
            elif not line.strip():
                if data:
                    yield self._loads("\n".join(data))
                    data, data_size = [], 0
            elif not line.startswith((":", "event:", "id:", "retry:")):
                if not raw and not line.lstrip().startswith(("{", "[")):
                    raise ResponseFormatError(f"stream line is neither SSE nor JSON: {line[:80]!r}", provider=self.name)
                raw.append(line)
                if depth.feed(line) > 0:
                    if depth.size > MAX_EVENT_CHARS:
                        raise too_large("event", self.name)
                    continue
                value = self._loads("\n".join(raw))
                raw, depth = [], JsonDepth()
                yield value
        if data:
            yield self._loads("\n".join(data))
        if raw:
            raise ResponseFormatError(f"stream ended inside a JSON value: {raw[0][:80]!r}", provider=self.name)

    def _loads(self, text: str) -> Any:
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ResponseFormatError(f"stream event is not JSON: {text[:80]!r}", provider=self.name) from exc

    async def stream(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> AsyncIterator[StreamChunk]:
        """Stream ``request``; each chunk's new text as it comes, usage and finish on the last chunk."""
        headers = self.headers()
        body = build_body(request, self.name)
        response = await self._open_stream(self.model_url(request.model, stream=True), body, headers, request, on_retry)
        model, request_id = request.model, None
        usage: Any = None
        reason: str | None = None
        calls = 0
        try:
            with response_shape(self.name):
                async for data in self._payloads(response):
                    if isinstance(data, list) and len(data) == 1:
                        data = data[0]
                    if not isinstance(data, dict):
                        raise ResponseFormatError("stream event is not a JSON object", provider=self.name)
                    if "error" in data:
                        raise provider_error(self.name, None, read_google(data, {}), body=data)
                    blocked = self._blocked(data)
                    if blocked is not None:
                        raise blocked
                    model = str(data.get("modelVersion") or model)
                    request_id = data.get("responseId") or request_id
                    usage = data.get("usageMetadata") or usage
                    candidates = data.get("candidates") or [{}]
                    candidate = candidates[0] if isinstance(candidates[0], dict) else {}
                    reason = candidate.get("finishReason") or reason
                    for part in (candidate.get("content") or {}).get("parts") or []:
                        if isinstance(part.get("text"), str) and part["text"] and not part.get("thought"):
                            yield StreamChunk(delta=part["text"], model=model, request_id=request_id)
                        elif isinstance(part.get("functionCall"), dict):
                            # Gemini sends each call whole, never argument fragments.
                            call = {"index": calls, **tool_call_from_part(part)}
                            calls += 1
                            yield StreamChunk(tool_calls=[call], model=model, request_id=request_id)
        finally:
            await response.aclose()
        if reason is None:
            raise ProviderConnectionError(
                "stream ended without a finish reason", provider=self.name, request_id=request_id
            )
        yield StreamChunk(
            model=model,
            finish_reason=finish_reason(reason, tool_calls=bool(calls)),
            usage=google_usage(usage).as_dict(),
            request_id=request_id,
        )
