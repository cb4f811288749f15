"""The OpenAI Responses API (``POST /responses``), for models the registry marks ``responses_only``.

llmring sends them here (the ``-pro`` models, ``o1*``) with the conversation as ``input`` items,
``max_output_tokens`` and ``store: false``, and the same features as Chat Completions: function
tools (flat ``{"type": "function", "name", "parameters", "strict"}``; ``strict`` is sent false
unless the tool says otherwise, since this API would otherwise default it to true) and
``tool_choice``; JSON and structured output as ``text.format`` (the schema fields flat);
reasoning as ``reasoning.effort``. ``stop`` and ``seed`` do not exist here and are refused before
anything is sent. The stream is SSE with ``event:`` names and no ``[DONE]``: text deltas, and
function calls as ``response.output_item.added`` then ``response.function_call_arguments.delta``;
it ends with ``response.completed``, ``response.incomplete`` or ``response.failed``
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
from llmring.providers.common import (
    ToolSpec,
    apply_provider_options,
    as_object,
    normalize_tools,
    openai_tool_call,
    prompt_cache_fields,
    prompt_details,
    text_of,
    token_count,
    tool_choice_mode,
    wants_json,
)
from llmring.providers.errors import provider_error, read_openai
from llmring.schemas import LLMResponse, StreamChunk, usage_dict

if TYPE_CHECKING:
    import httpx

    from llmring.providers.openai import OpenAIProvider
    from llmring.schemas import LLMRequest, Message

INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete"})


def check_supported(provider: str, request: LLMRequest) -> None:
    """Refuse what the Responses API does not have, before any request is sent."""
    refused = []
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
    if request.tools:
        body["tools"] = [_tool(spec) for spec in normalize_tools(request.tools, provider.name)]
    if request.tool_choice is not None:
        choice = request.tool_choice
        named = isinstance(choice, str) and choice not in ("auto", "none", "required", "any")
        # A bare tool name forces that tool, as on Chat Completions.
        mode, forced = ("required", choice) if named else tool_choice_mode(choice, provider.name)
        body["tool_choice"] = {"type": "function", "name": forced} if forced else mode
    text_format = _text_format(request, provider.name)
    if text_format is not None:
        body["text"] = {"format": text_format}
    body["store"] = False  # the API keeps responses server-side unless told not to
    prompt_cache_fields(body, request, provider.name)
    if stream:
        body["stream"] = True
    return apply_provider_options(body, request, provider.name)


# What POST /responses/input_tokens takes of a Responses body (InputTokenCountParams).
COUNT_KEYS = ("model", "input", "tools", "tool_choice", "text", "reasoning")


def count_body(provider: OpenAIProvider, request: LLMRequest) -> dict[str, Any]:
    """The ``/responses/input_tokens`` body for ``request``, whichever endpoint it will be sent to:
    the conversation, tools and output format, without output limits, sampling or storage."""
    body = build_body(provider, request.model_copy(update={"stop": None, "seed": None}), stream=False)
    return {key: body[key] for key in COUNT_KEYS if key in body}


def _tool(spec: ToolSpec) -> dict[str, Any]:
    tool: dict[str, Any] = {"type": "function", "name": spec.name, "parameters": spec.parameters}
    tool["strict"] = bool(spec.strict)
    if spec.description:
        tool["description"] = spec.description
    return tool


def _text_format(request: LLMRequest, provider: str) -> dict[str, Any] | None:
    """``text.format`` for the request's JSON intent (the schema fields flat, unlike Chat's)."""
    fmt = request.response_format
    if fmt and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise BadRequestError("response_format json_schema needs a 'schema' object", provider=provider)
        shaped: dict[str, Any] = {"type": "json_schema", "name": spec.get("name") or "response"}
        shaped.update((k, spec[k]) for k in ("schema", "strict", "description") if spec.get(k) is not None)
        return shaped
    if fmt and fmt.get("type") == "text":
        return None
    if wants_json(fmt, request.json_response)[0]:
        return {"type": "json_object"}
    if fmt:
        raise BadRequestError(f"unsupported response_format type {fmt.get('type')!r}", provider=provider)
    return None


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
        **prompt_details(inp),
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
    calls: dict[int, int] = {}  # output_index -> tool call index
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
            elif kind == "response.output_item.added" and as_object(data.get("item")).get("type") == "function_call":
                item = data["item"]
                index = calls[int(data["output_index"])] = len(calls)
                call = {
                    "index": index,
                    "id": item.get("call_id") or item.get("id"),
                    "type": "function",
                    "function": {"name": item["name"], "arguments": item.get("arguments") or ""},
                }
                yield StreamChunk(tool_calls=[call], model=request.model)
            elif kind == "response.function_call_arguments.delta" and data.get("delta"):
                index = calls[int(data["output_index"])]
                fragment = data["delta"]
                if not isinstance(fragment, str):
                    raise ResponseFormatError("function call arguments delta is not a string", provider=provider.name)
                yield StreamChunk(
                    tool_calls=[{"index": index, "function": {"arguments": fragment}}], model=request.model
                )
            elif kind in TERMINAL_EVENTS:
                done = data.get("response") or {}
                final = StreamChunk(
                    model=request.model,
                    finish_reason=_finish_reason(done, bool(calls)),
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
