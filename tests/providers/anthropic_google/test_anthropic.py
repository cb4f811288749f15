"""AnthropicProvider against the local Anthropic fake (every exchange checked against the SDK types)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    MissingAPIKeyError,
    PermissionDeniedError,
    ProviderConnectionError,
    ProviderError,
    ProviderModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitError,
    UnsupportedFeatureError,
)
from llmring.providers import create_provider
from llmring.providers.anthropic import AnthropicProvider, anthropic_usage, finish_reason
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes import anthropic_fake as fake_mod
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.fixtures_anthropic_google import Recorder
from tests.fakes.server import Reply, sse

MODEL = "claude-sonnet-4-5"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BAAwAB/aurQQAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME = {
    "name": "get_time",
    "description": "Local time in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def ask(text: str = "Hi there", **kwargs: Any) -> LLMRequest:
    return LLMRequest(model=kwargs.pop("model", MODEL), messages=[Message(role="user", content=text)], **kwargs)


async def collect(provider: AnthropicProvider, request: LLMRequest, **kwargs: Any) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(request, **kwargs)]


# -- plain chat ---------------------------------------------------------------------------------
async def test_text_chat(anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake) -> None:
    response = await anthropic_provider.chat(ask("Hi there"))

    assert response.content == "Hello! You said: Hi there"
    assert response.finish_reason == "stop"
    assert response.provider == "anthropic"
    assert response.model == "claude-sonnet-4-5"  # the requested name; the served snapshot is metadata
    assert response.metadata["response_model"] == "claude-sonnet-4-5-20250929"
    assert response.request_id is not None and response.request_id.startswith("req_")
    assert response.tool_calls is None
    assert response.usage["prompt_tokens"] > 0 and response.usage["completion_tokens"] > 0
    assert response.usage["total_tokens"] == response.usage["prompt_tokens"] + response.usage["completion_tokens"]
    sent = anthropic_fake_server.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == fake_mod.API_KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.json == {"model": MODEL, "max_tokens": 4096, "messages": [{"role": "user", "content": "Hi there"}]}


async def test_system_messages_are_lifted_into_system(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    request = LLMRequest(
        model=MODEL,
        messages=[
            Message(role="system", content="Be terse."),
            Message(role="user", content="Hello"),
            Message(role="system", content="Answer in English."),
        ],
    )
    await anthropic_provider.chat(request)

    body = anthropic_fake_server.last_body
    assert body["system"] == "Be terse.\n\nAnswer in English."
    assert [m["role"] for m in body["messages"]] == ["user"]


async def test_sampling_options_sent_only_when_set(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    await anthropic_provider.chat(ask(temperature=0, max_tokens=200))
    body = anthropic_fake_server.last_body
    assert "temperature" in body and body["temperature"] == 0  # never turned into 0.7
    assert body["max_tokens"] == 200
    assert "top_p" not in body and "stop_sequences" not in body

    await anthropic_provider.chat(ask(top_p=0.5, stop=["\n\nHuman:"]))
    body = anthropic_fake_server.last_body
    assert "temperature" not in body
    assert body["top_p"] == 0.5 and body["stop_sequences"] == ["\n\nHuman:"]
    assert body["max_tokens"] == 4096  # the documented default: the API requires max_tokens


async def test_model_name_is_never_remapped(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    for model in ("claude-3-7-sonnet-20250219", "claude-haiku-4-5"):
        await anthropic_provider.chat(ask(model=model))
        assert anthropic_fake_server.last_body["model"] == model


async def test_max_tokens_and_stop_sequence_finish_reasons(anthropic_provider: AnthropicProvider) -> None:
    short = await anthropic_provider.chat(ask("one two three four five six", max_tokens=2))
    assert short.finish_reason == "length"
    assert short.content == "Hello! You"

    stopped = await anthropic_provider.chat(ask("one two STOP three", stop=["STOP"]))
    assert stopped.finish_reason == "stop"
    assert stopped.content == "Hello! You said: one two "


@pytest.mark.parametrize(
    ("stop_reason", "calls", "expected"),
    [
        ("end_turn", False, "stop"),
        ("stop_sequence", False, "stop"),
        ("max_tokens", False, "length"),
        ("model_context_window_exceeded", False, "length"),
        ("tool_use", True, "tool_calls"),
        ("tool_use", False, "stop"),  # only the JSON-mode tool was used
        ("refusal", False, "content_filter"),
        ("pause_turn", False, "other"),
        (None, False, None),
    ],
)
def test_stop_reason_mapping(stop_reason: str | None, calls: bool, expected: str | None) -> None:
    assert finish_reason(stop_reason, tool_calls=calls) == expected


# -- tools --------------------------------------------------------------------------------------
async def test_tool_call_and_result_round_trip(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    question = Message(role="user", content="What's the weather in Paris?")
    first = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=[question], tools=[WEATHER]))

    assert first.finish_reason == "tool_calls"
    assert first.tool_calls is not None and len(first.tool_calls) == 1
    call = first.tool_calls[0]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    sent_tools = anthropic_fake_server.last_body["tools"]
    assert sent_tools == [
        {
            "name": "get_weather",
            "input_schema": WEATHER["function"]["parameters"],
            "description": "Weather for a city",
        }
    ]
    assert "tool_choice" not in anthropic_fake_server.last_body

    follow_up = [
        question,
        Message(role="assistant", content="", tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call["id"], content='{"temp_c": 21}'),
    ]
    second = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=follow_up, tools=[WEATHER]))

    assert second.content == 'Tool results: {"temp_c": 21}'
    assert second.finish_reason == "stop"
    messages = anthropic_fake_server.last_body["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": call["id"], "name": "get_weather", "input": {"city": "Paris"}}],
    }
    assert messages[2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": '{"temp_c": 21}'}],
    }


async def test_parallel_tool_calls_and_merged_results(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    question = Message(role="user", content="Use get_weather and get_time for Paris")
    first = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=[question], tools=[WEATHER, TIME]))
    assert first.tool_calls is not None
    assert [c["function"]["name"] for c in first.tool_calls] == ["get_weather", "get_time"]
    assert len({c["id"] for c in first.tool_calls}) == 2

    follow_up = [
        question,
        Message(role="assistant", content="Checking both.", tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=first.tool_calls[0]["id"], content="21 C"),
        Message(role="tool", tool_call_id=first.tool_calls[1]["id"], content="14:05", metadata={"is_error": False}),
        Message(role="user", content="Summarise."),
    ]
    second = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=follow_up, tools=[WEATHER, TIME]))

    messages = anthropic_fake_server.last_body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert [b["type"] for b in messages[1]["content"]] == ["text", "tool_use", "tool_use"]
    assert [b["type"] for b in messages[2]["content"]] == ["tool_result", "tool_result", "text"]
    assert second.content == "Tool results: 21 C; 14:05"


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "get_time"}}, {"type": "tool", "name": "get_time"}),
        ({"type": "tool", "name": "get_time"}, {"type": "tool", "name": "get_time"}),
    ],
)
async def test_tool_choice_mapping(
    anthropic_provider: AnthropicProvider,
    anthropic_fake_server: AnthropicFake,
    choice: Any,
    sent: dict[str, Any],
) -> None:
    response = await anthropic_provider.chat(ask("Paris?", tools=[WEATHER, TIME], tool_choice=choice))

    assert anthropic_fake_server.last_body["tool_choice"] == sent
    if sent.get("name"):
        assert response.tool_calls is not None
        assert [c["function"]["name"] for c in response.tool_calls] == ["get_time"]
    if sent["type"] == "none":
        assert response.tool_calls is None


async def test_unknown_tool_choice_is_refused_before_sending(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    with pytest.raises(BadRequestError):
        await anthropic_provider.chat(ask(tools=[WEATHER], tool_choice="sometimes"))
    assert anthropic_fake_server.requests == []


# -- JSON mode ----------------------------------------------------------------------------------
async def test_json_mode_uses_a_forced_tool(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    response = await anthropic_provider.chat(ask("Give me JSON", json_response=True))

    body = anthropic_fake_server.last_body
    assert body["tools"][0]["name"] == "json_response"
    assert body["tools"][0]["input_schema"] == {"type": "object"}
    assert body["tool_choice"] == {"type": "tool", "name": "json_response"}
    assert isinstance(json.loads(response.content), dict)
    assert response.tool_calls is None
    assert response.finish_reason == "stop"


async def test_json_schema_answer_matches_the_schema(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}},
        "required": ["city", "temp_c"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "weather", "schema": schema}}
    # A closed schema goes natively (output_config.format) where the registry says the model takes it.
    response = await anthropic_provider.chat(ask("Weather as JSON", response_format=fmt))
    assert anthropic_fake_server.last_body["output_config"]["format"] == {"type": "json_schema", "schema": schema}
    assert "tools" not in anthropic_fake_server.last_body
    assert json.loads(response.content) == {"city": "Paris", "temp_c": 21}

    # Elsewhere through the forced tool.
    response = await anthropic_provider.chat(ask("Weather", model="claude-3-7-sonnet-20250219", response_format=fmt))
    assert anthropic_fake_server.last_body["tools"][0]["input_schema"] == schema
    assert "output_config" not in anthropic_fake_server.last_body
    assert json.loads(response.content) == {"city": "Paris", "temp_c": 21}


async def test_json_schema_with_a_non_object_top_level_is_wrapped_and_unwrapped(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    schema = {"type": "array", "items": {"type": "string"}}
    fmt = {"type": "json_schema", "json_schema": {"name": "names", "schema": schema}}
    response = await anthropic_provider.chat(ask("Names", response_format=fmt))
    assert anthropic_fake_server.last_body["tools"][0]["input_schema"]["properties"]["value"] == schema
    assert json.loads(response.content) == ["sample"]

    chunks = await collect(anthropic_provider, ask("Names", response_format=fmt))
    assert json.loads("".join(c.delta for c in chunks)) == ["sample"]


async def test_json_mode_streams_the_answer_as_text(anthropic_provider: AnthropicProvider) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "w", "schema": schema}}
    chunks = await collect(anthropic_provider, ask("JSON please", response_format=fmt))

    assert json.loads("".join(c.delta for c in chunks)) == {"city": "Paris"}
    assert all(c.tool_calls is None for c in chunks)
    assert chunks[-1].finish_reason == "stop"


# -- attachments --------------------------------------------------------------------------------
async def test_image_input_becomes_a_base64_image_block(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]
    response = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=[Message(role="user", content=parts)]))

    assert "1 image(s)" in response.content
    blocks = anthropic_fake_server.last_body["messages"][0]["content"]
    assert blocks[1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}


async def test_unsupported_image_type_is_refused_before_sending(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    parts = [{"type": "image_url", "image_url": {"url": f"data:image/bmp;base64,{PNG}"}}]
    with pytest.raises(BadRequestError, match="image/bmp"):
        await anthropic_provider.chat(LLMRequest(model=MODEL, messages=[Message(role="user", content=parts)]))
    assert anthropic_fake_server.requests == []


async def test_pdf_input_becomes_a_document_block(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    source = {"type": "base64", "media_type": "application/pdf", "data": PDF}
    parts = [{"type": "document", "source": source}, {"type": "text", "text": "Summarise the PDF"}]
    response = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=[Message(role="user", content=parts)]))

    assert "1 document(s)" in response.content
    assert anthropic_fake_server.last_body["messages"][0]["content"][0] == {"type": "document", "source": source}


# -- prompt caching -----------------------------------------------------------------------------
async def test_prompt_caching_usage_is_normalised(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    policy = "You are a support agent. " + "Policy clause. " * 200
    handbook = "Handbook chapter. " * 150
    messages = [
        Message(role="system", content=policy, metadata={"cache_control": {"type": "ephemeral", "ttl": "1h"}}),
        Message(
            role="user",
            content=[
                {"type": "text", "text": handbook, "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Question one?"},
            ],
        ),
    ]
    first = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=messages))
    body = anthropic_fake_server.last_body
    assert body["system"] == [{"type": "text", "text": policy, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}

    usage = first.usage
    assert usage["cache_write_1h_tokens"] > 0 and usage["cache_write_5m_tokens"] > 0
    assert usage["cached_tokens"] == 0
    second = await anthropic_provider.chat(LLMRequest(model=MODEL, messages=messages))
    again = second.usage
    assert again["cached_tokens"] == usage["cache_write_1h_tokens"] + usage["cache_write_5m_tokens"]
    assert again["cache_write_1h_tokens"] == again["cache_write_5m_tokens"] == 0
    assert again["prompt_tokens"] == usage["prompt_tokens"]  # input includes cache reads and writes


def test_usage_normalisation_from_the_wire_example() -> None:
    usage = anthropic_usage(
        {
            "input_tokens": 412,
            "output_tokens": 61,
            "cache_creation_input_tokens": 300,
            "cache_read_input_tokens": 1800,
            "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200},
            "output_tokens_details": {"thinking_tokens": 20},
        }
    )
    assert usage.prompt_tokens == 412 + 300 + 1800
    assert (usage.cached_tokens, usage.cache_write_5m_tokens, usage.cache_write_1h_tokens) == (1800, 100, 200)
    assert (usage.completion_tokens, usage.reasoning_tokens) == (61, 20)
    # Without the TTL split every write is a 5-minute write (the default TTL).
    legacy = anthropic_usage({"input_tokens": 5, "output_tokens": 1, "cache_creation_input_tokens": 40})
    assert (legacy.cache_write_5m_tokens, legacy.cache_write_1h_tokens, legacy.prompt_tokens) == (40, 0, 45)


# -- streaming ----------------------------------------------------------------------------------
async def test_streaming_text_with_final_usage(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    chunks = await collect(anthropic_provider, ask("stream this please"))

    assert anthropic_fake_server.last_body["stream"] is True
    assert "".join(c.delta for c in chunks) == "Hello! You said: stream this please"
    assert len([c for c in chunks if c.delta]) > 1
    final = chunks[-1]
    assert final.finish_reason == "stop"
    assert final.usage is not None and final.usage["prompt_tokens"] > 0 and final.usage["completion_tokens"] > 1
    assert all(c.finish_reason is None and c.usage is None for c in chunks[:-1])
    assert final.model == "claude-sonnet-4-5-20250929" and final.request_id is not None


async def test_streamed_tool_calls_reassemble(anthropic_provider: AnthropicProvider) -> None:
    chunks = await collect(anthropic_provider, ask("Use get_weather and get_time", tools=[WEATHER, TIME]))

    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for delta in chunk.tool_calls or []:
            call = calls.setdefault(delta["index"], {"id": None, "name": None, "arguments": ""})
            call["id"] = delta.get("id") or call["id"]
            call["name"] = delta["function"].get("name") or call["name"]
            call["arguments"] += delta["function"].get("arguments", "")
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert all(json.loads(c["arguments"]) == {"city": "Paris"} for c in calls.values())
    assert all(c["id"].startswith("toolu_") for c in calls.values())
    # the fake cut the JSON inside strings, so several fragments per call arrived
    assert sum(1 for c in chunks for d in c.tool_calls or [] if d["function"].get("arguments")) > 4
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage["completion_tokens"] > 0


async def test_stream_dropped_mid_body_is_a_connection_error(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    anthropic_fake_server.drop_stream_after = 4
    with pytest.raises(ProviderConnectionError):
        await collect(anthropic_provider, ask("this will be cut off"))


async def test_stream_error_event_raises_the_typed_error(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    anthropic_fake_server.stream_error_after = 5
    received: list[StreamChunk] = []
    with pytest.raises(ProviderUnavailableError) as info:
        async for chunk in anthropic_provider.stream(ask("a long answer that fails")):
            received.append(chunk)
    assert info.value.error_code == "overloaded_error"
    assert info.value.status_code == 529
    assert received and received[-1].finish_reason is None


async def test_stream_ending_without_message_stop_is_a_connection_error(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_01X",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    }
    chunks = sse([("message_start", start), ("ping", {"type": "ping"})])
    # drop_after past the end: the body finishes cleanly, it just never says message_stop
    anthropic_fake_server.enqueue(Reply(200, chunks=chunks, drop_after=len(chunks), content_type="text/event-stream"))
    with pytest.raises(ProviderConnectionError, match="message_stop"):
        await collect(anthropic_provider, ask())


# -- errors -------------------------------------------------------------------------------------
ERROR_CASES = [
    (
        fake_mod.error_reply(400, "invalid_request_error", "messages: roles must alternate"),
        BadRequestError,
        "invalid_request_error",
    ),
    (fake_mod.context_length_reply(), ContextLengthExceededError, "invalid_request_error"),
    (fake_mod.error_reply(401, "authentication_error", "invalid x-api-key"), AuthenticationError, None),
    (
        fake_mod.error_reply(403, "permission_error", "Your API key does not have permission"),
        PermissionDeniedError,
        None,
    ),
    (fake_mod.error_reply(404, "not_found_error", "model: claude-9"), ProviderModelNotFoundError, None),
    (fake_mod.too_large_reply(), BadRequestError, None),
    (fake_mod.rate_limit_reply("3"), RateLimitError, "rate_limit_error"),
    (fake_mod.spend_limit_reply(), QuotaExceededError, "enforced_spend_limit_reached"),
    (fake_mod.error_reply(402, "billing_error", "Your credit balance is too low"), QuotaExceededError, None),
    (fake_mod.error_reply(500, "api_error", "Internal server error"), ProviderUnavailableError, "api_error"),
    (fake_mod.overloaded_reply(), ProviderUnavailableError, "overloaded_error"),
    (fake_mod.error_reply(504, "timeout_error", "Request timed out"), ProviderTimeoutError, "timeout_error"),
]


@pytest.mark.parametrize(("reply", "error", "code"), ERROR_CASES, ids=lambda v: getattr(v, "__name__", None))
async def test_error_statuses_map_to_typed_errors(
    anthropic_fake_server: AnthropicFake, reply: Reply, error: type[ProviderError], code: str | None
) -> None:
    provider = AnthropicProvider(api_key=fake_mod.API_KEY, base_url=anthropic_fake_server.base_url, max_retries=0)
    anthropic_fake_server.enqueue(reply)
    with pytest.raises(error) as info:
        await provider.chat(ask())
    await provider.aclose()
    assert type(info.value) is error
    assert info.value.status_code == reply.status
    assert info.value.provider == "anthropic"
    if code is not None:
        assert info.value.error_code == code
    if reply.status != 413:
        assert info.value.request_id == f"req_011CFake{reply.status}"
    if error is RateLimitError:
        assert info.value.retry_after == 3.0  # type: ignore[attr-defined]


async def test_real_401_and_404_from_the_fake(anthropic_fake_server: AnthropicFake) -> None:
    wrong = AnthropicProvider(api_key="sk-ant-wrong-key-000000", base_url=anthropic_fake_server.base_url)
    with pytest.raises(AuthenticationError, match="invalid x-api-key"):
        await wrong.chat(ask())
    await wrong.aclose()
    right = AnthropicProvider(api_key=fake_mod.API_KEY, base_url=anthropic_fake_server.base_url)
    with pytest.raises(ProviderModelNotFoundError, match="claude-9"):
        await right.chat(ask(model="claude-9"))
    await right.aclose()
    assert len(anthropic_fake_server.requests) == 2  # neither was retried


async def test_429_then_200_waits_for_retry_after(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, recorder: Recorder
) -> None:
    anthropic_fake_server.enqueue(fake_mod.rate_limit_reply("3"))
    response = await anthropic_provider.chat(ask(), on_retry=recorder.on_retry)

    assert response.content == "Hello! You said: Hi there"
    assert recorder.sleeps == [3.0]
    assert len(recorder.retries) == 1
    assert isinstance(recorder.retries[0].error, RateLimitError)
    assert recorder.retries[0].delay == 3.0 and recorder.retries[0].attempt == 1
    assert len(anthropic_fake_server.requests) == 2


async def test_529_overloaded_is_retried(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, recorder: Recorder
) -> None:
    anthropic_fake_server.enqueue(fake_mod.overloaded_reply())
    response = await anthropic_provider.chat(ask(), on_retry=recorder.on_retry)

    assert response.finish_reason == "stop"
    assert len(recorder.sleeps) == 1 and 0 < recorder.sleeps[0] <= 0.5
    assert isinstance(recorder.retries[0].error, ProviderUnavailableError)


@pytest.mark.parametrize(
    "reply",
    [
        fake_mod.error_reply(401, "authentication_error", "invalid x-api-key"),
        fake_mod.error_reply(400, "invalid_request_error", "bad"),
        fake_mod.error_reply(404, "not_found_error", "model: claude-9"),
        fake_mod.spend_limit_reply(),
    ],
    ids=["401", "400", "404", "spend-limit-429"],
)
async def test_errors_that_are_not_retried(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, recorder: Recorder, reply: Reply
) -> None:
    anthropic_fake_server.enqueue(reply)
    with pytest.raises(ProviderError):
        await anthropic_provider.chat(ask(), on_retry=recorder.on_retry)
    assert len(anthropic_fake_server.requests) == 1
    assert recorder.sleeps == [] and recorder.retries == []


async def test_timeout_is_a_provider_timeout_error(anthropic_fake_server: AnthropicFake) -> None:
    provider = AnthropicProvider(api_key=fake_mod.API_KEY, base_url=anthropic_fake_server.base_url, max_retries=0)
    anthropic_fake_server.enqueue(Reply(200, {"never": "sent"}, delay=1.0))
    with pytest.raises(ProviderTimeoutError):
        await provider.chat(ask(timeout=0.2))
    await provider.aclose()
    anthropic_fake_server.violations.clear()  # the unsent placeholder reply is not a real message


# -- configuration ------------------------------------------------------------------------------
async def test_missing_key_names_the_env_var(anthropic_fake_server: AnthropicFake) -> None:
    provider = AnthropicProvider(base_url=anthropic_fake_server.base_url)
    with pytest.raises(MissingAPIKeyError, match="ANTHROPIC_API_KEY") as info:
        await provider.chat(ask())
    assert info.value.env_vars == ("ANTHROPIC_API_KEY",)
    with pytest.raises(MissingAPIKeyError):
        await collect(provider, ask())
    assert anthropic_fake_server.requests == []


async def test_key_and_base_url_from_env(anthropic_fake_server: AnthropicFake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake_mod.API_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_fake_server.base_url + "/")
    provider = create_provider("anthropic")
    assert isinstance(provider, AnthropicProvider)
    response = await provider.chat(ask())
    await provider.aclose()
    assert response.content.startswith("Hello!")
    assert len(anthropic_fake_server.requests) == 1


async def test_api_version_2026_refuses_sampling_and_sends_its_header(anthropic_fake_server: AnthropicFake) -> None:
    provider = AnthropicProvider(
        api_key=fake_mod.API_KEY, base_url=anthropic_fake_server.base_url, api_version="2026-10-21"
    )
    with pytest.raises(UnsupportedFeatureError, match="temperature"):
        await provider.chat(ask(temperature=0.2))
    assert anthropic_fake_server.requests == []

    response = await provider.chat(ask())
    await provider.aclose()
    assert response.finish_reason == "stop"
    assert anthropic_fake_server.requests[-1].headers["anthropic-version"] == "2026-10-21"


async def test_fake_rejects_a_request_without_anthropic_version(anthropic_fake_server: AnthropicFake) -> None:
    import httpx

    body = {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{anthropic_fake_server.base_url}/v1/messages", json=body, headers={"x-api-key": fake_mod.API_KEY}
        )
    assert r.status_code == 400
    assert r.json()["error"] == {"type": "invalid_request_error", "message": "anthropic-version: header is required"}
    assert any("anthropic-version" in v for v in anthropic_fake_server.violations)
    anthropic_fake_server.violations.clear()  # that request was broken on purpose
