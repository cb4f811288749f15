"""Anthropic Messages API over httpx: ``POST {base}/v1/messages``.

Choices worth knowing (see wire_formats.md section 2):

* **API version.** We send ``anthropic-version: 2023-06-01`` unless ``api_version`` says otherwise.
  ``2026-10-21`` (what the 2.x SDKs send) removed ``temperature``/``top_p``/``top_k``: sending any
  of them is a 400 even at default values. llmring exposes ``temperature`` and ``top_p``, so the
  stable three-year-old version is the default; with ``api_version="2026-10-21"`` a request that
  sets either is refused before sending (``UnsupportedFeatureError``) rather than silently altered.
* **max_tokens** is required by the API: the request's value, else ``DEFAULT_MAX_TOKENS`` (4096).
* **Sampling** (``temperature``, ``top_p``, ``stop_sequences``) is sent only when set; 0 stays 0.
  Anthropic has no ``seed``: it is not sent.
* **Structured output.** A closed JSON schema (every object ``additionalProperties: false``, every
  property required, as ``response_model`` sends) on a model the registry marks
  ``supports_structured_output`` goes natively as ``output_config.format``; the answer is text.
* **JSON mode.** Otherwise (plain JSON, an open schema, a model without native output) we add a
  tool ``json_response`` whose ``input_schema`` is the requested schema (``{"type": "object"}`` for
  plain JSON) and force it with ``tool_choice: {"type": "tool"}``; its input comes back as the
  response's text content (JSON), not as a tool call. A schema whose top level is not an object
  is wrapped in ``{"value": ...}`` (tool inputs must be objects) and unwrapped on the way back.
* **Prompt caching.** A part carrying ``cache_control``, or a message with
  ``metadata["cache_control"]`` (applied to its last block), is passed through onto the block.
  ``LLMRequest.prompt_cache`` ("5m" or "1h") adds breakpoints on the system prompt, the last user
  turn and the last tool, within the 4-breakpoint cap and not below the model's minimum cacheable
  length (``anthropic_messages.place_cache_breakpoints``).
* **Errors** are classified by HTTP status, ``error.type`` and ``error.details.error_code``. The one
  deliberate exception: Anthropic reports an over-long prompt only as a 400 ``invalid_request_error``
  whose message starts "prompt is too long" (or "input length and `max_tokens` exceed context
  limit"); those two anchored prefixes become ``ContextLengthExceededError``.
* **Counting.** ``count_input_tokens`` sends the same body, less what the counting endpoint does
  not take (``max_tokens``, sampling, ``stream``), to ``POST {base}/v1/messages/count_tokens``,
  which answers ``{"input_tokens": N}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from llmring.controls import plan_for
from llmring.errors import (
    ProviderConnectionError,
    ResponseFormatError,
    UnsupportedFeatureError,
)
from llmring.providers.anthropic_messages import (
    JSON_TOOL,
    JsonPlan,
    build_messages,
    place_cache_breakpoints,
    tools_and_choice,
)
from llmring.providers.base import BaseProvider, RetryHook, response_shape
from llmring.providers.common import apply_provider_options, as_object, openai_tool_call, token_count, wants_json
from llmring.providers.errors import provider_error, read_anthropic
from llmring.schemas import LLMResponse, StreamChunk, Usage
from llmring.structured import is_strict

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest

ANTHROPIC_VERSION = "2023-06-01"
NO_SAMPLING_SINCE = "2026-10-21"  # versions from this date reject temperature/top_p/top_k
DEFAULT_MAX_TOKENS = 4096
# What /v1/messages/count_tokens accepts of a Messages body (MessageCountTokensParams).
COUNT_KEYS = ("model", "messages", "system", "tools", "tool_choice", "thinking", "output_config")

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "other",
}


def anthropic_usage(raw: Mapping[str, Any] | None) -> Usage:
    """Normalise Anthropic usage: input excludes cache reads and writes, so add them back."""
    raw = as_object(raw)
    fresh = token_count(raw.get("input_tokens"))
    read = token_count(raw.get("cache_read_input_tokens"))
    written = token_count(raw.get("cache_creation_input_tokens"))
    split = raw.get("cache_creation")
    write_1h = 0
    if isinstance(split, dict):
        write_1h = min(token_count(split.get("ephemeral_1h_input_tokens")), written)
    # Writes the split does not account for (no split, an empty one, or one short of the total)
    # were made at the default TTL, 5 minutes, and are billed at its write rate.
    write_5m = max(written - write_1h, 0)
    if isinstance(split, dict):
        write_5m = max(write_5m, token_count(split.get("ephemeral_5m_input_tokens")))
    thinking = token_count(as_object(raw.get("output_tokens_details")).get("thinking_tokens"))
    return Usage(
        prompt_tokens=fresh + read + written,
        completion_tokens=token_count(raw.get("output_tokens")),
        cached_tokens=read,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        reasoning_tokens=thinking,
    )


def finish_reason(stop_reason: str | None, *, tool_calls: bool) -> str | None:
    """``stop_reason`` in llmring's vocabulary (a forced JSON tool ends with ``stop``)."""
    if stop_reason is None:
        return None
    if stop_reason == "tool_use" and not tool_calls:
        return "stop"
    return STOP_REASONS.get(stop_reason, "other") if isinstance(stop_reason, str) else "other"


class AnthropicProvider(BaseProvider):
    """Claude models through the Messages API (``x-api-key`` + ``anthropic-version``)."""

    name = "anthropic"
    read_error = staticmethod(read_anthropic)

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        api_version: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_key, base_url, **kwargs)
        self.api_version = api_version or ANTHROPIC_VERSION

    # -- request ------------------------------------------------------------------------------
    @property
    def messages_url(self) -> str:
        base = self.base_url.removesuffix("/v1")
        return f"{base}/v1/messages"

    @property
    def count_tokens_url(self) -> str:
        return f"{self.messages_url}/count_tokens"

    def headers(self) -> dict[str, str]:
        """Auth and version headers (raises ``MissingAPIKeyError`` before anything is sent)."""
        return {
            "x-api-key": self.require_api_key(),
            "anthropic-version": self.api_version,
            "content-type": "application/json",
        }

    def build_body(self, request: LLMRequest, *, stream: bool = False) -> tuple[dict[str, Any], JsonPlan | None]:
        """The ``/v1/messages`` body for ``request`` and, in JSON mode, how to read the answer."""
        if self.api_version >= NO_SAMPLING_SINCE:
            unsupported = [n for n in ("temperature", "top_p") if getattr(request, n) is not None]
            if unsupported:
                raise UnsupportedFeatureError(
                    f"anthropic-version {self.api_version} rejects {' and '.join(unsupported)}; "
                    f"unset it or use api_version={ANTHROPIC_VERSION!r}",
                    provider=self.name,
                )
        system, messages = build_messages(request.messages, self.name)
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens if request.max_tokens is not None else DEFAULT_MAX_TOKENS,
            "messages": messages,
        }
        if system:
            cached = any("cache_control" in block for block in system)
            body["system"] = system if cached else "\n\n".join(block["text"] for block in system)
        planned = plan_for(request, self.name)
        json_wanted, schema = wants_json(request.response_format, request.json_response)
        native = json_wanted and schema is not None and planned.structured_output and is_strict(schema)
        if native:
            # Native JSON output (output_config.format): no tool to force, so thinking still works.
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        tools, choice, plan = tools_and_choice(request, self.name, native_json=native)
        if tools:
            body["tools"] = tools
        if choice is not None:
            body["tool_choice"] = choice
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        self._thinking(body, request, choice)
        if request.prompt_cache is not None:
            place_cache_breakpoints(body, request.prompt_cache, planned.prompt_cache_min_tokens)
        if stream:
            body["stream"] = True
        return apply_provider_options(body, request, self.name), plan

    def _thinking(self, body: dict[str, Any], request: LLMRequest, choice: dict[str, Any] | None) -> None:
        """The reasoning setting (``llmring.controls``): adaptive thinking with ``output_config.effort``,
        or ``thinking.budget_tokens`` with ``max_tokens`` raised above the budget."""
        planned = plan_for(request, self.name)
        if planned.thinking_on and choice is not None and choice.get("type") in ("tool", "any"):
            raise UnsupportedFeatureError(
                f"{request.model} cannot think while a tool is forced (JSON mode or tool_choice):"
                " leave reasoning unset or let the model choose",
                provider=self.name,
            )
        if planned.thinking_off:
            if planned.control == "adaptive":
                body["thinking"] = {"type": "disabled"}
        elif planned.budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": planned.budget}
            if body["max_tokens"] <= planned.budget:
                # The budget counts towards max_tokens: keep the answer's share on top of it.
                raised = planned.budget + body["max_tokens"]
                cap = planned.max_output_tokens
                body["max_tokens"] = min(raised, cap) if cap and cap > planned.budget else raised
        elif planned.effort is not None:
            body["thinking"] = {"type": "adaptive"}
            body.setdefault("output_config", {})["effort"] = planned.effort

    async def count_input_tokens(self, request: LLMRequest) -> int | None:
        """``request``'s input tokens by ``/v1/messages/count_tokens`` (free; nothing is generated)."""
        headers = self.headers()
        body, _ = self.build_body(request)
        counted = {key: body[key] for key in COUNT_KEYS if key in body}
        return await self._post_count(self.count_tokens_url, counted, headers, request, "input_tokens")

    # -- chat ---------------------------------------------------------------------------------
    async def chat(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> LLMResponse:
        """Send ``request`` to ``/v1/messages`` and return the normalised response."""
        headers = self.headers()
        body, plan = self.build_body(request)
        data, response = await self._post_json(self.messages_url, body, headers, request, on_retry)
        with response_shape(self.name):
            texts: list[str] = []
            calls: list[dict[str, Any]] = []
            json_text: str | None = None
            for block in data.get("content") or []:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "text":
                    texts.append(str(block.get("text", "")))
                elif block.get("type") == "tool_use":
                    if plan is not None and block.get("name") == JSON_TOOL:
                        json_text = plan.answer(block.get("input"))
                    else:
                        calls.append(openai_tool_call(str(block.get("id")), str(block.get("name")), block.get("input")))
            usage = anthropic_usage(data.get("usage"))
            return LLMResponse(
                content=json_text if json_text is not None else "".join(texts),
                model=request.model,
                usage=usage.as_dict(),
                finish_reason=finish_reason(data.get("stop_reason"), tool_calls=bool(calls)),
                tool_calls=calls or None,
                provider=self.name,
                request_id=response.headers.get("request-id"),
                metadata={"response_id": data.get("id"), "response_model": data.get("model")},
            )

    # -- stream -------------------------------------------------------------------------------
    async def stream(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> AsyncIterator[StreamChunk]:
        """Stream ``request``; text and tool-argument deltas as they come, usage on the last chunk."""
        headers = self.headers()
        body, plan = self.build_body(request, stream=True)
        response = await self._open_stream(self.messages_url, body, headers, request, on_retry)
        request_id = response.headers.get("request-id")
        model = request.model
        usage: dict[str, Any] = {}
        stop_reason: str | None = None
        tool_index: dict[int, int] = {}  # content block index -> tool call index
        json_blocks: set[int] = set()
        json_parts: list[str] = []
        final: StreamChunk | None = None
        try:
            with response_shape(self.name):
                async for events in self._sse_batches(response):
                    if final is not None:
                        # Like the SDK, read on to the end of the body after message_stop, so the
                        # connection goes back to the pool instead of being closed mid-body.
                        continue
                    for event in events:
                        data = event.json(self.name)
                        kind = data.get("type") if isinstance(data, dict) else None
                        if kind == "ping" or kind is None:
                            continue
                        if kind == "error":
                            raise provider_error(self.name, None, read_anthropic(data, response.headers), body=data)
                        if kind == "message_start":
                            message = data.get("message") or {}
                            model = str(message.get("model") or model)
                            usage.update(message.get("usage") or {})
                        elif kind == "content_block_start":
                            index, block = int(data.get("index", 0)), data.get("content_block") or {}
                            if block.get("type") == "text" and block.get("text"):
                                yield StreamChunk(delta=block["text"], model=model, request_id=request_id)
                            elif block.get("type") == "tool_use":
                                if plan is not None and block.get("name") == JSON_TOOL:
                                    json_blocks.add(index)
                                    continue
                                tool_index[index] = len(tool_index)
                                call = {
                                    "index": tool_index[index],
                                    "id": block.get("id"),
                                    "type": "function",
                                    "function": {"name": block.get("name"), "arguments": ""},
                                }
                                yield StreamChunk(tool_calls=[call], model=model, request_id=request_id)
                        elif kind == "content_block_delta":
                            index, delta = int(data.get("index", 0)), data.get("delta") or {}
                            if delta.get("type") == "text_delta" and delta.get("text"):
                                yield StreamChunk(delta=delta["text"], model=model, request_id=request_id)
                            elif delta.get("type") == "input_json_delta" and delta.get("partial_json"):
                                fragment = delta["partial_json"]
                                if not isinstance(fragment, str):
                                    raise ResponseFormatError("partial_json is not a string", provider=self.name)
                                if index in json_blocks:
                                    if plan is not None and plan.wrapped:
                                        json_parts.append(fragment)  # unwrapped once complete
                                    else:
                                        yield StreamChunk(delta=fragment, model=model, request_id=request_id)
                                elif index in tool_index:
                                    call = {"index": tool_index[index], "function": {"arguments": fragment}}
                                    yield StreamChunk(tool_calls=[call], model=model, request_id=request_id)
                        elif kind == "content_block_stop":
                            index = int(data.get("index", 0))
                            if index in json_blocks and plan is not None and plan.wrapped:
                                text = plan.answer_from_text("".join(json_parts), self.name)
                                yield StreamChunk(delta=text, model=model, request_id=request_id)
                        elif kind == "message_delta":
                            stop_reason = (data.get("delta") or {}).get("stop_reason") or stop_reason
                            usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
                        elif kind == "message_stop":
                            final = StreamChunk(
                                model=model,
                                finish_reason=finish_reason(stop_reason, tool_calls=bool(tool_index)),
                                usage=anthropic_usage(usage).as_dict(),
                                request_id=request_id,
                            )
                            break
        finally:
            await response.aclose()
        if final is None:
            raise ProviderConnectionError("stream ended before message_stop", provider=self.name, request_id=request_id)
        yield final
