"""Ollama's native ``/api/chat`` over raw httpx (no key needed locally).

Wire facts (wire_formats.md section 4): messages carry plain-string ``content`` and images as a
list of raw base64 strings; tools are OpenAI-shaped but tool-call ``arguments`` are objects and
ids may be missing; sampling lives in ``options`` and is sent only when the caller set it (upstream
llmring forced ``top_k``/``top_p``/``repeat_penalty``); the stream is NDJSON ending with a
``done: true`` line that carries the token counters. Errors are ``{"error": "<text>"}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from llmring.controls import plan_for
from llmring.errors import (
    BadRequestError,
    ProviderConnectionError,
    ProviderUnavailableError,
    ResponseFormatError,
    UnsupportedFeatureError,
)
from llmring.providers.base import BaseProvider, RetryHook, response_shape
from llmring.providers.common import (
    ToolSpec,
    apply_provider_options,
    arguments_object,
    as_object,
    normalize_tools,
    openai_tool_call,
    parse_data_url,
    text_of,
    token_count,
    wants_json,
)
from llmring.providers.errors import read_ollama
from llmring.providers.streams import ndjson_objects
from llmring.schemas import LLMResponse, StreamChunk, usage_dict

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, Message

DONE_REASONS = {"stop": "stop", "length": "length"}


def synthesized_call_id(index: int, name: str, arguments: str) -> str:
    """A stable id for an Ollama tool call that came without one (same call, same id)."""
    digest = hashlib.sha256(f"{index}\0{name}\0{arguments}".encode()).hexdigest()[:24]
    return f"call_{digest}"


def ollama_usage(data: dict[str, Any]) -> dict[str, int]:
    """``prompt_eval_count`` / ``eval_count`` as ``Usage.as_dict()`` (a KV-cache hit may omit the first)."""
    data = as_object(data)
    return usage_dict(
        prompt_tokens=token_count(data.get("prompt_eval_count")),
        completion_tokens=token_count(data.get("eval_count")),
    )


class OllamaProvider(BaseProvider):
    """A local (or remote) Ollama server's native chat API."""

    name = "ollama"
    read_error = staticmethod(read_ollama)
    body_error_default = ProviderUnavailableError  # a 200 {"error"} is a crash or load failure
    requires_api_key = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chat_url = f"{self.base_url}/api/chat"
        # A key is optional (ollama.com hosts behind a bearer token); local servers need none.
        self._headers: dict[str, str] = {"authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    # -- requests -----------------------------------------------------------------------------
    def build_body(self, request: LLMRequest, *, stream: bool) -> dict[str, Any]:
        """The ``/api/chat`` body for ``request``; unsupported inputs fail here, before sending."""
        body: dict[str, Any] = {"model": request.model, "messages": self._messages(request.messages)}
        choice = request.tool_choice
        if request.tools and choice != "none":
            if choice not in (None, "auto"):
                raise UnsupportedFeatureError(
                    f"Ollama cannot force a tool choice ({choice!r}); use 'auto' or 'none'", provider=self.name
                )
            body["tools"] = [self._tool(spec) for spec in normalize_tools(request.tools, self.name)]
        json_wanted, schema = wants_json(request.response_format, request.json_response)
        if json_wanted:
            body["format"] = schema if schema is not None else "json"
        think = plan_for(request, self.name).ollama_think()
        if think is not None:
            body["think"] = think
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.top_p is not None:
            options["top_p"] = request.top_p
        if request.seed is not None:
            options["seed"] = request.seed
        if request.stop:
            options["stop"] = request.stop
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if options:
            body["options"] = options
        body["stream"] = stream  # the server streams unless told otherwise
        return apply_provider_options(body, request, self.name)

    @staticmethod
    def _tool(spec: ToolSpec) -> dict[str, Any]:
        fn: dict[str, Any] = {"name": spec.name, "parameters": spec.parameters}
        if spec.description:
            fn["description"] = spec.description
        return {"type": "function", "function": fn}  # no "strict": Ollama has none

    def _messages(self, messages: list[Message]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        call_names: dict[str, str] = {}
        for msg in messages:
            item: dict[str, Any] = {"role": msg.role, "content": self._content(msg)}
            images = self._images(msg.content)
            if images:
                item["images"] = images
            if msg.role == "assistant" and msg.tool_calls:
                calls = []
                for call in msg.tool_calls:
                    fn = call.get("function") or {}
                    if not isinstance(fn, dict) or not fn.get("name"):
                        raise BadRequestError("assistant tool_calls need a function 'name'", provider=self.name)
                    if call.get("id"):
                        call_names[call["id"]] = fn["name"]
                    args = arguments_object(fn.get("arguments"), self.name)
                    calls.append({"function": {"name": fn["name"], "arguments": args}})
                item["tool_calls"] = calls
            if msg.role == "tool":
                tool_name = msg.name or call_names.get(msg.tool_call_id or "")
                if tool_name:
                    item["tool_name"] = tool_name
            out.append(item)
        return out

    def _content(self, msg: Message) -> str:
        if isinstance(msg.content, list):
            for part in msg.content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "document":
                    raise UnsupportedFeatureError("Ollama does not accept documents (PDF)", provider=self.name)
                if kind not in ("text", "image_url"):
                    raise BadRequestError(f"unsupported content part type {kind!r}", provider=self.name)
        return text_of(msg.content)

    def _images(self, content: str | list[dict[str, Any]] | None) -> list[str]:
        images = []
        if isinstance(content, list):
            for part in content:
                if part.get("type") == "image_url":
                    image = part.get("image_url")
                    url = image.get("url") if isinstance(image, dict) else image
                    images.append(parse_data_url(str(url or ""), self.name)[1])
        return images

    # -- responses ----------------------------------------------------------------------------
    def _tool_calls(self, message: Any, start: int) -> list[dict[str, Any]]:
        calls = []
        raw_calls = as_object(message).get("tool_calls") or []
        for offset, call in enumerate(raw_calls if isinstance(raw_calls, list) else [raw_calls]):
            fn = as_object(call.get("function")) if isinstance(call, dict) else {}
            name, call_id = fn.get("name") or "", call.get("id") if isinstance(call, dict) else None
            if not isinstance(call, dict) or not isinstance(name, str) or not isinstance(call_id, str | None):
                raise ResponseFormatError("unexpected tool call shape", provider=self.name)
            shaped = openai_tool_call("", name, fn.get("arguments"))
            args = shaped["function"]["arguments"]
            shaped["id"] = call_id or synthesized_call_id(start + offset, name, args)
            calls.append(shaped)
        return calls

    def _check_error(self, data: dict[str, Any]) -> None:
        if "error" in data:
            error = self.body_error(data, {})
            raise error if error is not None else ResponseFormatError("malformed error object", provider=self.name)

    # -- the interface ------------------------------------------------------------------------
    async def chat(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> LLMResponse:
        """Send ``request`` with ``stream: false`` and return the whole response."""
        body = self.build_body(request, stream=False)
        data, _ = await self._post_json(self._chat_url, body, self._headers, request, on_retry)
        with response_shape(self.name):
            self._check_error(data)
            message = data.get("message")
            if not isinstance(message, dict):
                raise ResponseFormatError("response has no message", provider=self.name)
            tool_calls = self._tool_calls(message, 0)
            return LLMResponse(
                content=message.get("content") or "",
                model=request.model,
                usage=ollama_usage(data),
                finish_reason=_finish_reason(data.get("done_reason"), bool(tool_calls)),
                tool_calls=tool_calls or None,
                provider=self.name,
                metadata={"response_model": data.get("model")},
            )

    async def stream(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> AsyncIterator[StreamChunk]:
        """Yield content (and whole tool calls); the ``done`` line becomes the final chunk."""
        body = self.build_body(request, stream=True)
        response = await self._open_stream(self._chat_url, body, self._headers, request, on_retry)
        calls_seen = 0
        final: StreamChunk | None = None
        try:
            with response_shape(self.name):
                async for data in ndjson_objects(self._iter_lines(response), self.name):
                    if final is not None:
                        continue  # read to the end of the body so the connection can be reused
                    self._check_error(data)
                    message = data.get("message") or {}
                    calls = self._tool_calls(message, calls_seen)
                    text = message.get("content") or ""
                    if text or calls:
                        deltas = [dict(call, index=calls_seen + i) for i, call in enumerate(calls)]
                        calls_seen += len(calls)
                        yield StreamChunk(delta=text, model=request.model, tool_calls=deltas or None)
                    if data.get("done"):
                        final = StreamChunk(
                            model=request.model,
                            finish_reason=_finish_reason(data.get("done_reason"), calls_seen > 0),
                            usage=ollama_usage(data),
                        )
        finally:
            await response.aclose()
        if final is None:
            raise ProviderConnectionError("stream ended before the done line", provider=self.name)
        yield final


def _finish_reason(reason: str | None, has_tool_calls: bool) -> str:
    if has_tool_calls and reason in (None, "stop"):
        return "tool_calls"
    if reason is None:
        return "stop"
    return DONE_REASONS.get(reason, "other") if isinstance(reason, str) else "other"
