"""OpenAI over raw httpx: Chat Completions, and the Responses API for the ``o1`` family.

Wire facts this module relies on (wire_formats.md section 1): ``max_completion_tokens`` replaces the
deprecated ``max_tokens``; reasoning models take ``developer`` instead of ``system``; a streamed
answer ends with a usage-only chunk (``choices: []``) after the finish chunk and then
``data: [DONE]``; errors are ``{"error": {"message", "type", "param", "code"}}`` and are told apart
by status plus ``type``/``code``, never by their message text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from llmring.controls import plan_for
from llmring.errors import (
    BadRequestError,
    ProviderConnectionError,
    ResponseFormatError,
    UnsupportedFeatureError,
)
from llmring.providers import openai_responses
from llmring.providers.base import BaseProvider, RetryHook, response_shape
from llmring.providers.common import (
    ToolSpec,
    apply_provider_options,
    arguments_json,
    as_object,
    normalize_tools,
    openai_tool_call,
    prompt_cache_fields,
    prompt_details,
    text_of,
    token_count,
    wants_json,
)
from llmring.providers.errors import provider_error, read_openai
from llmring.providers.streams import not_json
from llmring.schemas import LLMResponse, StreamChunk, usage_dict

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, Message

FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
NATIVE_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file"})
# Reasoning models take the "developer" role where older models take "system".
DEVELOPER_ROLE_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def uses_responses_api(model: str) -> bool:
    """The ``o1`` family (o1, o1-mini, o1-preview, o1-pro, dated snapshots) goes to ``/responses``.

    Only for models the registry does not know: a known model goes there when its entry says
    ``responses_only`` (``OpenAIProvider.responses_api``).
    """
    return model == "o1" or model.startswith("o1-")


def system_role_for(model: str) -> str:
    """``developer`` for o-series and gpt-5 reasoning models, ``system`` otherwise."""
    return "developer" if model.startswith(DEVELOPER_ROLE_PREFIXES) else "system"


def normalize_finish_reason(reason: str | None) -> str | None:
    """OpenAI's finish reason in llmring's vocabulary (None stays None)."""
    if reason is None:
        return None
    return FINISH_REASONS.get(reason, "other") if isinstance(reason, str) else "other"


def chat_usage(raw: Any) -> dict[str, int] | None:
    """Chat Completions ``usage`` as ``Usage.as_dict()``; ``prompt_tokens`` already includes cached reads."""
    if not isinstance(raw, dict):
        return None
    prompt = as_object(raw.get("prompt_tokens_details"))
    completion = as_object(raw.get("completion_tokens_details"))
    return usage_dict(
        prompt_tokens=token_count(raw.get("prompt_tokens")),
        completion_tokens=token_count(raw.get("completion_tokens")),
        cached_tokens=token_count(prompt.get("cached_tokens")),
        reasoning_tokens=token_count(completion.get("reasoning_tokens")),
        **prompt_details(prompt),
    )


class OpenAIProvider(BaseProvider):
    """OpenAI's Chat Completions API (and the Responses API for ``o1*`` models) over httpx."""

    name = "openai"
    read_error = staticmethod(read_openai)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chat_url = f"{self.base_url}/chat/completions"
        self._responses_url = f"{self.base_url}/responses"
        self._headers: dict[str, str] | None = None

    # -- requests -----------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        """``Authorization: Bearer`` for the configured key (``MissingAPIKeyError`` if none)."""
        if self._headers is None:
            self._headers = {"authorization": f"Bearer {self.require_api_key()}"}
        return self._headers

    def responses_api(self, request: LLMRequest) -> bool:
        """True when ``request`` goes to ``/responses``: the registry's ``responses_only``, or,
        for a model it does not know, the ``o1`` name rule."""
        planned = plan_for(request, self.name)
        return planned.responses_only if planned.known else uses_responses_api(request.model)

    def build_chat_body(self, request: LLMRequest, *, stream: bool = False) -> dict[str, Any]:
        """The Chat Completions body for ``request`` (only fields the caller set are sent)."""
        body: dict[str, Any] = {
            "model": request.model,
            "messages": self._messages(request.messages, system_role_for(request.model)),
        }
        if request.max_tokens is not None:
            body["max_completion_tokens"] = request.max_tokens
        effort = plan_for(request, self.name).effort
        if effort is not None:
            body["reasoning_effort"] = effort
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.seed is not None:
            body["seed"] = request.seed
        if request.stop:
            body["stop"] = request.stop
        if request.tools:
            body["tools"] = [self._tool(spec) for spec in normalize_tools(request.tools, self.name)]
        if request.tool_choice is not None:
            body["tool_choice"] = self._tool_choice(request.tool_choice)
        response_format = self._response_format(request)
        if response_format is not None:
            body["response_format"] = response_format
        prompt_cache_fields(body, request, self.name)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return apply_provider_options(body, request, self.name)

    @staticmethod
    def _tool(spec: ToolSpec) -> dict[str, Any]:
        fn: dict[str, Any] = {"name": spec.name, "parameters": spec.parameters}
        if spec.description:
            fn["description"] = spec.description
        if spec.strict is not None:
            fn["strict"] = spec.strict
        return {"type": "function", "function": fn}

    def _tool_choice(self, choice: str | dict[str, Any]) -> str | dict[str, Any]:
        if isinstance(choice, str):
            if choice in ("auto", "none", "required"):
                return choice
            if choice == "any":  # Anthropic's word for "required"
                return "required"
            return {"type": "function", "function": {"name": choice}}
        kind = choice.get("type")
        if kind in ("allowed_tools", "custom") or (kind == "function" and isinstance(choice.get("function"), dict)):
            return choice
        name = choice.get("function") if isinstance(choice.get("function"), str) else choice.get("name")
        if isinstance(name, str) and name:
            return {"type": "function", "function": {"name": name}}
        raise BadRequestError(f"unsupported tool_choice {choice!r}", provider=self.name)

    def _response_format(self, request: LLMRequest) -> dict[str, Any] | None:
        fmt = request.response_format
        if fmt and fmt.get("type") == "json_schema":
            spec = dict(fmt.get("json_schema") or {})
            if not isinstance(spec.get("schema"), dict):
                raise BadRequestError("response_format json_schema needs a 'schema' object", provider=self.name)
            spec.setdefault("name", "response")
            return {"type": "json_schema", "json_schema": spec}
        if fmt and fmt.get("type") == "text":
            return {"type": "text"}
        if wants_json(fmt, request.json_response)[0]:
            return {"type": "json_object"}
        if fmt:
            raise BadRequestError(f"unsupported response_format type {fmt.get('type')!r}", provider=self.name)
        return None

    def _messages(self, messages: list[Message], system_role: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for msg in messages:
            if msg.role == "tool":
                out.append({"role": "tool", "tool_call_id": msg.tool_call_id or "", "content": text_of(msg.content)})
                continue
            item: dict[str, Any] = {"role": system_role if msg.role == "system" else msg.role}
            if msg.role == "assistant":
                item["content"] = text_of(msg.content) or (None if msg.tool_calls else "")
                if msg.tool_calls:
                    item["tool_calls"] = [self._history_tool_call(call) for call in msg.tool_calls]
            elif isinstance(msg.content, list):
                item["content"] = [self._part(part) for part in msg.content]
            else:
                item["content"] = msg.content or ""
            if msg.name:
                item["name"] = msg.name
            out.append(item)
        return out

    def _history_tool_call(self, call: dict[str, Any]) -> dict[str, Any]:
        fn = call.get("function") or {}
        if not isinstance(fn, dict) or not fn.get("name") or not call.get("id"):
            raise BadRequestError("assistant tool_calls need an 'id' and a function 'name'", provider=self.name)
        return openai_tool_call(call["id"], fn["name"], fn.get("arguments"))

    def _part(self, part: dict[str, Any]) -> dict[str, Any]:
        kind = part.get("type")
        if kind == "document":
            source = part.get("source") or {}
            media_type = source.get("media_type")
            if source.get("type") != "base64" or not source.get("data"):
                raise BadRequestError("document parts must carry base64 data", provider=self.name)
            if media_type != "application/pdf":
                raise UnsupportedFeatureError(
                    f"OpenAI chat accepts PDF documents only, not {media_type}", provider=self.name
                )
            return {
                "type": "file",
                "file": {
                    "filename": part.get("filename") or "document.pdf",
                    "file_data": f"data:{media_type};base64,{source['data']}",
                },
            }
        if kind in NATIVE_PART_TYPES:
            return part
        raise BadRequestError(f"unsupported content part type {kind!r}", provider=self.name)

    # -- responses ----------------------------------------------------------------------------
    def parse_chat(self, data: dict[str, Any], request: LLMRequest, request_id: str | None) -> LLMResponse:
        """A Chat Completions body as an ``LLMResponse``."""
        choices = data.get("choices")
        if not choices or not isinstance(choices[0], dict) or not isinstance(choices[0].get("message"), dict):
            raise ResponseFormatError("response has no choices[0].message", provider=self.name)
        choice = choices[0]
        message = choice["message"]
        metadata: dict[str, Any] = {"response_id": data.get("id"), "response_model": data.get("model")}
        content = message.get("content")
        if content is None and message.get("refusal"):
            content = message["refusal"]
            metadata["refusal"] = True
        tool_calls = message.get("tool_calls") or None
        if tool_calls:
            tool_calls = [
                openai_tool_call(c["id"], c["function"]["name"], c["function"].get("arguments")) for c in tool_calls
            ]
        return LLMResponse(
            content=content or "",
            model=request.model,
            usage=chat_usage(data.get("usage")) or usage_dict(),
            finish_reason=normalize_finish_reason(choice.get("finish_reason")),
            tool_calls=tool_calls,
            provider=self.name,
            request_id=request_id,
            metadata=metadata,
        )

    # -- the interface ------------------------------------------------------------------------
    async def count_input_tokens(self, request: LLMRequest) -> int | None:
        """``request``'s input tokens by ``POST /responses/input_tokens`` (free; nothing is generated)."""
        body = openai_responses.count_body(self, request)
        return await self._post_count(
            f"{self._responses_url}/input_tokens", body, self.auth_headers(), request, "input_tokens"
        )

    async def chat(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> LLMResponse:
        """Send ``request`` and return the whole response."""
        if self.responses_api(request):
            body = openai_responses.build_body(self, request, stream=False)
            data, response = await self._post_json(self._responses_url, body, self.auth_headers(), request, on_retry)
            with response_shape(self.name):
                return openai_responses.parse_response(self, data, request, response.headers.get("x-request-id"))
        body = self.build_chat_body(request)
        data, response = await self._post_json(self._chat_url, body, self.auth_headers(), request, on_retry)
        with response_shape(self.name):
            return self.parse_chat(data, request, response.headers.get("x-request-id"))

    async def stream(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> AsyncIterator[StreamChunk]:
        """Yield text and tool-call deltas; the last chunk carries ``finish_reason`` and ``usage``."""
        if self.responses_api(request):
            body = openai_responses.build_body(self, request, stream=True)
            response = await self._open_stream(self._responses_url, body, self.auth_headers(), request, on_retry)
            try:
                with response_shape(self.name):
                    async for chunk in openai_responses.stream_chunks(self, response, request):
                        yield chunk
            finally:
                await response.aclose()
            return
        body = self.build_chat_body(request, stream=True)
        response = await self._open_stream(self._chat_url, body, self.auth_headers(), request, on_retry)
        request_id = response.headers.get("x-request-id")
        finish: str | None = None
        usage: dict[str, int] | None = None
        done = False
        # The hot loop, inlined here rather than wrapped in one more generator layer.
        try:
            with response_shape(self.name):
                async for events in self._sse_batches(response):
                    # Like the SDK, read on to the end of the body after [DONE], so the connection
                    # goes back to the pool instead of being closed mid-body.
                    if done:
                        continue
                    for _, payload in events:
                        if payload == "[DONE]":
                            done = True
                            break
                        try:
                            data = json.loads(payload)
                        except ValueError as exc:
                            raise not_json(payload, self.name) from exc
                        if not isinstance(data, dict):
                            raise ResponseFormatError("stream event is not a JSON object", provider=self.name)
                        if "error" in data:
                            raise provider_error(self.name, None, read_openai(data, response.headers), body=data)
                        if data.get("usage"):
                            usage = chat_usage(data["usage"])
                        for choice in data.get("choices") or ():
                            if choice.get("index", 0) != 0:
                                continue
                            delta = choice.get("delta") or {}
                            text = delta.get("content") or delta.get("refusal") or ""
                            calls = delta.get("tool_calls")
                            if text or calls:
                                yield StreamChunk(
                                    delta=text,
                                    model=request.model,
                                    tool_calls=[_tool_call_delta(c) for c in calls] if calls else None,
                                )
                            if choice.get("finish_reason"):
                                finish = normalize_finish_reason(choice["finish_reason"])
        finally:
            await response.aclose()
        if not done and finish is None:
            raise ProviderConnectionError(
                "stream ended before it was complete", provider=self.name, request_id=request_id
            )
        yield StreamChunk(model=request.model, finish_reason=finish, usage=usage, request_id=request_id)


def _tool_call_delta(call: Any) -> dict[str, Any]:
    """A streamed tool-call fragment in llmring's stream shape (``index``, ``id``?, ``function``).

    Whoever assembles the fragments adds ``arguments`` strings by ``index``, so a fragment of any
    other shape is a ``ResponseFormatError`` here rather than a ``TypeError`` there.
    """
    fn = as_object(call.get("function")) if isinstance(call, dict) else {}
    index = call.get("index", 0) if isinstance(call, dict) else None
    arguments = fn.get("arguments") or ""
    call_id, name = (call.get("id"), fn.get("name")) if isinstance(call, dict) else (None, None)
    if (
        type(index) is not int
        or not isinstance(arguments, str)
        or not isinstance(call_id, str | None)
        or not isinstance(name, str | None)
    ):
        raise ResponseFormatError(f"unexpected tool call delta: {arguments_json(call)[:80]}", provider="openai")
    out: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id:
        out["id"] = call_id
        out["type"] = call.get("type") or "function"
    if name:
        out["function"]["name"] = name
    return out
