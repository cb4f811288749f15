"""The OpenAI Responses API (``POST /responses``), used for the ``o1`` model family.

llmring sends ``o1*`` models here with the conversation as ``input`` items, ``max_output_tokens``
and ``store: false``. Tools and custom response formats are refused before anything is sent,
because llmring does not map them for these models. The stream is SSE with ``event:`` names and
no ``[DONE]``; it ends with ``response.completed``, ``response.incomplete`` or ``response.failed``
(wire_formats.md section 1.5).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from llmring.controls import plan_for
from llmring.errors import (
    BadRequestError,
    ProviderConnectionError,
    ProviderError,
    ResponseFormatError,
    UnsupportedFeatureError,
)
from llmring.providers.common import apply_provider_options, as_object, openai_tool_call, text_of, token_count
from llmring.providers.errors import provider_error, read_openai
from llmring.schemas import LLMResponse, StreamChunk, usage_dict

if TYPE_CHECKING:
    import httpx

    from llmring.providers.openai import OpenAIProvider
    from llmring.schemas import LLMRequest, Message

INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete"})


def check_supported(provider: str, request: LLMRequest) -> None:
    """Refuse what llmring does not map for ``o1*`` models, before any request is sent."""
    refused = []
    if request.tools:
        refused.append("tools")
    if request.tool_choice is not None:
        refused.append("tool_choice")
    fmt = request.response_format
    if request.json_response or (fmt and fmt.get("type") != "text"):
        refused.append("response_format / json_response")
    if request.stop:
        refused.append("stop")
    if request.seed is not None:
        refused.append("seed")
    if refused:
        raise UnsupportedFeatureError(
            f"{request.model} (Responses API) does not support {', '.join(refused)} in llmring", provider=provider
        )


def build_body(provider: OpenAIProvider, request: LLMRequest, *, stream: bool) -> dict[str, Any]:
    """The Responses API body for ``request``; raises ``UnsupportedFeatureError`` first if needed."""
    check_supported(provider.name, request)
    body: dict[str, Any] = {"model": request.model, "input": _input_items(provider.name, request.messages)}
    if request.max_tokens is not None:
        body["max_output_tokens"] = request.max_tokens
    effort = plan_for(request, provider.name).effort
    if effort is not None:
        body["reasoning"] = {"effort": effort}
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    body["store"] = False  # the API keeps responses server-side unless told not to
    if stream:
        body["stream"] = True
    return apply_provider_options(body, request, provider.name)


def _input_items(provider: str, messages: list[Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "tool":
            items.append(
                {"type": "function_call_output", "call_id": msg.tool_call_id or "", "output": text_of(msg.content)}
            )
            continue
        if msg.role == "assistant":
            text = text_of(msg.content)
            if text:
                items.append({"role": "assistant", "content": text})
            for call in msg.tool_calls or ():
                fn = call.get("function") or {}
                shaped = openai_tool_call(call.get("id") or "", fn.get("name") or "", fn.get("arguments"))
                items.append(
                    {
                        "type": "function_call",
                        "call_id": shaped["id"],
                        "name": shaped["function"]["name"],
                        "arguments": shaped["function"]["arguments"],
                    }
                )
            continue
        role = "developer" if msg.role == "system" else "user"
        if isinstance(msg.content, list):
            items.append({"role": role, "content": [_part(provider, p) for p in msg.content]})
        else:
            items.append({"role": role, "content": msg.content or ""})
    return items


def _part(provider: str, part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "input_text", "text": part.get("text", "")}
    if kind == "image_url":
        image = part.get("image_url") or {}
        url = image.get("url") if isinstance(image, dict) else image
        detail = image.get("detail", "auto") if isinstance(image, dict) else "auto"
        return {"type": "input_image", "image_url": url, "detail": detail}
    if kind == "document":
        source = part.get("source") or {}
        if source.get("type") != "base64" or not source.get("data"):
            raise BadRequestError("document parts must carry base64 data", provider=provider)
        return {
            "type": "input_file",
            "filename": part.get("filename") or "document.pdf",
            "file_data": f"data:{source.get('media_type')};base64,{source['data']}",
        }
    raise BadRequestError(f"unsupported content part type {kind!r}", provider=provider)


def response_usage(raw: Any) -> dict[str, int]:
    """Responses API ``usage`` as ``Usage.as_dict()`` (``input_tokens`` already includes cached)."""
    if not isinstance(raw, dict):
        return usage_dict()
    inp = as_object(raw.get("input_tokens_details"))
    out = as_object(raw.get("output_tokens_details"))
    return usage_dict(
        prompt_tokens=token_count(raw.get("input_tokens")),
        completion_tokens=token_count(raw.get("output_tokens")),
        cached_tokens=token_count(inp.get("cached_tokens")),
        reasoning_tokens=token_count(out.get("reasoning_tokens")),
    )


def _finish_reason(data: dict[str, Any], has_tool_calls: bool) -> str:
    if data.get("status") == "incomplete":
        reason = as_object(data.get("incomplete_details")).get("reason")
        return INCOMPLETE_REASONS.get(str(reason), "other")
    return "tool_calls" if has_tool_calls else "stop"


def _failed(provider: OpenAIProvider, error: Any, request_id: str | None) -> ProviderError:
    """The typed error for a failed response or an ``error`` event (same ladder as HTTP errors)."""
    body = {"error": error if isinstance(error, dict) else {}}
    headers = {"x-request-id": request_id} if request_id else {}
    return provider_error(provider.name, None, read_openai(body, headers), body=body)


def parse_response(
    provider: OpenAIProvider, data: dict[str, Any], request: LLMRequest, request_id: str | None
) -> LLMResponse:
    """A Responses API ``Response`` object as an ``LLMResponse`` (raises if it failed)."""
    if data.get("status") == "failed":
        raise _failed(provider, data.get("error"), request_id)
    output = data.get("output")
    if not isinstance(output, list):
        raise ResponseFormatError("response has no output list", provider=provider.name)
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in output:
        if item.get("type") == "message":
            for part in item.get("content") or ():
                if part.get("type") == "output_text":
                    texts.append(part.get("text", ""))
                elif part.get("type") == "refusal":
                    texts.append(part.get("refusal", ""))
        elif item.get("type") == "function_call":
            calls.append(openai_tool_call(item.get("call_id") or item.get("id"), item["name"], item.get("arguments")))
    return LLMResponse(
        content="".join(texts),
        model=request.model,
        usage=response_usage(data.get("usage")),
        finish_reason=_finish_reason(data, bool(calls)),
        tool_calls=calls or None,
        provider=provider.name,
        request_id=request_id,
        metadata={"response_id": data.get("id"), "response_model": data.get("model")},
    )


async def stream_chunks(
    provider: OpenAIProvider, response: httpx.Response, request: LLMRequest
) -> AsyncIterator[StreamChunk]:
    """Text deltas from a Responses API event stream, then one final chunk with usage."""
    request_id = response.headers.get("x-request-id")
    final: StreamChunk | None = None
    async for events in provider._sse_batches(response):
        # After the terminal event, read on to the end of the body (the connection then goes
        # back to the pool).
        if final is not None:
            continue
        for event in events:
            if event.data == "[DONE]":  # some proxies add Chat Completions' terminator: ignored
                continue
            data = event.json(provider.name)
            if not isinstance(data, dict):
                raise ResponseFormatError("stream event is not a JSON object", provider=provider.name)
            kind = data.get("type") or event.event
            if kind in ("response.output_text.delta", "response.refusal.delta"):
                if data.get("delta"):
                    yield StreamChunk(delta=data["delta"], model=request.model)
            elif kind in TERMINAL_EVENTS:
                done = data.get("response") or {}
                final = StreamChunk(
                    model=request.model,
                    finish_reason=_finish_reason(done, False),
                    usage=response_usage(done.get("usage")),
                    request_id=request_id,
                )
                break
            elif kind == "response.failed":
                error = (data.get("response") or {}).get("error") or {}
                raise _failed(provider, error, request_id)
            elif kind == "error":
                raise _failed(provider, data, request_id)
    if final is None:
        raise ProviderConnectionError("stream ended before response.completed", provider=provider.name)
    yield final
