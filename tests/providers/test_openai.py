"""OpenAIProvider against the local OpenAI fake (every request is contract-checked at teardown)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
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
from llmring.providers.base import RetryInfo
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes import openai_fake as fakes
from tests.fakes.fixtures_openai_ollama import SleepRecorder
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}},
}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
PDF = "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg=="


def req(text: str = "Hello", model: str = "gpt-4o-mini", **kwargs: Any) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content=text)], **kwargs)


def sent(fake: OpenAIFake, index: int = -1) -> dict[str, Any]:
    body = fake.requests[index].json
    assert isinstance(body, dict)
    return body


async def collect(provider: OpenAIProvider, request: LLMRequest) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(request)]


def joined_tool_calls(chunks: list[StreamChunk]) -> dict[int, dict[str, str]]:
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in chunk.tool_calls or ():
            call = calls.setdefault(delta["index"], {"id": "", "name": "", "arguments": ""})
            call["id"] = delta.get("id", call["id"])
            call["name"] = delta["function"].get("name", call["name"])
            call["arguments"] += delta["function"]["arguments"]
    return calls


# -- requests and responses ---------------------------------------------------------------------------
async def test_text_chat(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    response = await openai_provider.chat(req("Hello there"))

    assert response.content == "Echo: Hello there"
    assert response.model == "gpt-4o-mini"
    assert response.metadata["response_model"] == "gpt-4o-mini-2024-07-18"
    assert response.provider == "openai"
    assert response.finish_reason == "stop"
    assert response.request_id and response.request_id.startswith("req_")
    assert response.usage["prompt_tokens"] > 0 and response.usage["completion_tokens"] > 0
    assert response.usage["total_tokens"] == response.usage["prompt_tokens"] + response.usage["completion_tokens"]
    recorded = openai_fake.requests[0]
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == f"Bearer {openai_fake.api_key}"
    assert sent(openai_fake) == {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}


async def test_temperature_zero_is_sent_as_zero(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    await openai_provider.chat(req(temperature=0, top_p=0.5, seed=7, stop=["END"], max_tokens=50))

    body = sent(openai_fake)
    assert body["temperature"] == 0 and "temperature" in body
    assert (body["top_p"], body["seed"], body["stop"], body["max_completion_tokens"]) == (0.5, 7, ["END"], 50)
    assert "max_tokens" not in body


async def test_unset_sampling_parameters_are_absent(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    await openai_provider.chat(req())

    assert not {"temperature", "top_p", "seed", "stop", "max_completion_tokens", "max_tokens"} & set(sent(openai_fake))


@pytest.mark.parametrize(
    ("model", "role"), [("gpt-4o", "system"), ("gpt-5-mini", "developer"), ("o3-mini", "developer")]
)
async def test_system_prompt_role_depends_on_model(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, model: str, role: str
) -> None:
    request = LLMRequest(
        model=model, messages=[Message(role="system", content="You are terse."), Message(role="user", content="Hi")]
    )
    await openai_provider.chat(request)

    assert sent(openai_fake)["messages"][0] == {"role": role, "content": "You are terse."}


async def test_finish_reason_length(openai_provider: OpenAIProvider) -> None:
    response = await openai_provider.chat(req("one two three four five", max_tokens=2))

    assert response.finish_reason == "length"
    assert response.content == "Echo: one"


async def test_tool_call_and_tool_result_round_trip(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    first = await openai_provider.chat(req("Weather in Paris?", tools=[WEATHER_TOOL]))

    assert first.finish_reason == "tool_calls"
    assert first.content == ""
    assert first.tool_calls is not None and len(first.tool_calls) == 1
    call = first.tool_calls[0]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert sent(openai_fake)["tools"] == [{"type": "function", "function": WEATHER_TOOL}]

    history = [
        Message(role="user", content="Weather in Paris?"),
        Message(role="assistant", content="", tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call["id"], content='{"temp_c": 21}'),
    ]
    second = await openai_provider.chat(LLMRequest(model="gpt-4o-mini", messages=history, tools=[WEATHER_TOOL]))

    assert second.content == 'The tool returned {"temp_c": 21}.'
    assert second.finish_reason == "stop"
    messages = sent(openai_fake)["messages"]
    assert messages[1] == {"role": "assistant", "content": None, "tool_calls": first.tool_calls}
    assert messages[2] == {"role": "tool", "tool_call_id": call["id"], "content": '{"temp_c": 21}'}


async def test_history_tool_call_with_object_arguments_is_sent_as_json_string(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    history = [
        Message(role="user", content="Weather?"),
        Message(
            role="assistant",
            content=None,
            tool_calls=[
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
            ],
        ),
        Message(role="tool", tool_call_id="call_1", content="cold"),
    ]
    await openai_provider.chat(LLMRequest(model="gpt-4o", messages=history))

    assert sent(openai_fake)["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"city":"Oslo"}'


async def test_parallel_tool_calls(openai_provider: OpenAIProvider) -> None:
    response = await openai_provider.chat(req("Weather and time?", tools=[WEATHER_TOOL, TIME_TOOL]))

    assert response.tool_calls is not None
    assert [c["function"]["name"] for c in response.tool_calls] == ["get_weather", "get_time"]
    assert len({c["id"] for c in response.tool_calls}) == 2


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        ({"function": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
        ({"type": "tool", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
async def test_tool_choice_is_normalised(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, choice: Any, wire: Any
) -> None:
    await openai_provider.chat(req("Weather?", tools=[WEATHER_TOOL, TIME_TOOL], tool_choice=choice))

    assert sent(openai_fake)["tool_choice"] == wire


async def test_tool_without_name_is_refused_before_sending(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    with pytest.raises(BadRequestError):
        await openai_provider.chat(req(tools=[{"description": "nameless"}]))
    assert openai_fake.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [{"json_response": True}, {"response_format": {"type": "json_object"}}, {"response_format": {"type": "json"}}],
)
async def test_json_mode(openai_provider: OpenAIProvider, openai_fake: OpenAIFake, kwargs: dict[str, Any]) -> None:
    response = await openai_provider.chat(req("Answer in JSON", **kwargs))

    assert sent(openai_fake)["response_format"] == {"type": "json_object"}
    assert json.loads(response.content) == {"answer": "Echo: Answer in JSON"}


async def test_json_schema(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp_c": {"type": "number"}},
        "required": ["city", "temp_c"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "weather", "strict": True, "schema": schema}}
    response = await openai_provider.chat(req("Weather as JSON", response_format=fmt))

    assert sent(openai_fake)["response_format"] == fmt
    jsonschema.validate(json.loads(response.content), schema)


async def test_json_schema_without_name_gets_one(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    fmt = {"type": "json_schema", "json_schema": {"schema": {"type": "object", "properties": {}}}}
    await openai_provider.chat(req(response_format=fmt))

    assert sent(openai_fake)["response_format"]["json_schema"]["name"] == "response"


async def test_image_input(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]
    response = await openai_provider.chat(LLMRequest(model="gpt-4o", messages=[Message(role="user", content=parts)]))

    assert response.content == "Echo: What is this? [images=1]"
    assert sent(openai_fake)["messages"][0]["content"] == parts


async def test_pdf_input_becomes_a_file_part(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "Summarise"},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
            "filename": "report.pdf",
        },
    ]
    response = await openai_provider.chat(LLMRequest(model="gpt-4o", messages=[Message(role="user", content=parts)]))

    assert response.content == "Echo: Summarise [files=1]"
    assert sent(openai_fake)["messages"][0]["content"][1] == {
        "type": "file",
        "file": {"filename": "report.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
    }


async def test_non_pdf_document_is_refused_before_sending(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    parts = [{"type": "document", "source": {"type": "base64", "media_type": "text/csv", "data": "YSxi"}}]
    with pytest.raises(UnsupportedFeatureError):
        await openai_provider.chat(LLMRequest(model="gpt-4o", messages=[Message(role="user", content=parts)]))
    assert openai_fake.requests == []


# -- streaming --------------------------------------------------------------------------------------
async def test_stream_text_with_final_usage(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    chunks = await collect(openai_provider, req("stream this please"))

    assert "".join(c.delta for c in chunks) == "Echo: stream this please"
    assert len(chunks) > 3
    final = chunks[-1]
    assert final.finish_reason == "stop"
    assert final.usage is not None and final.usage["completion_tokens"] > 0
    assert final.request_id and final.request_id.startswith("req_")
    assert all(c.usage is None and c.finish_reason is None for c in chunks[:-1])
    body = sent(openai_fake)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    # The same request unstreamed reports the same usage.
    assert (await openai_provider.chat(req("stream this please"))).usage == final.usage


async def test_stream_tool_calls_with_final_usage(openai_provider: OpenAIProvider) -> None:
    chunks = await collect(openai_provider, req("Weather and time?", tools=[WEATHER_TOOL, TIME_TOOL]))

    calls = joined_tool_calls(chunks)
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris"}
    assert json.loads(calls[1]["arguments"]) == {"tz": "sample"}
    assert all(calls[i]["id"].startswith("call_") for i in calls)
    # The arguments really did arrive in pieces cut inside JSON strings.
    assert sum(1 for c in chunks for d in c.tool_calls or () if d["index"] == 0) > 3
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage["prompt_tokens"] > 0


async def test_stream_dropped_connection_raises(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_fake.drop_stream_after = 2
    received: list[StreamChunk] = []
    with pytest.raises(ProviderConnectionError):
        async for chunk in openai_provider.stream(req("a b c d e f")):
            received.append(chunk)
    assert "".join(c.delta for c in received) == "Echo:"
    assert len(openai_fake.requests) == 1  # a stream is never retried after its first byte


async def test_stream_error_event_raises(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_fake.stream_error_after = 2
    with pytest.raises(ProviderUnavailableError) as info:
        await collect(openai_provider, req("a b c d e f"))
    assert info.value.error_code == "server_error"
    assert info.value.status_code is None


async def test_stream_ending_without_done_raises(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    head = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini"}
    chunk = {**head, "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": None, "finish_reason": None}]}
    openai_fake.enqueue(Reply(200, chunks=fakes.sse([(None, chunk)]), content_type="text/event-stream"))
    with pytest.raises(ProviderConnectionError):
        await collect(openai_provider, req())


async def test_stream_error_before_first_byte_is_retried(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(fakes.rate_limit_reply("1"))
    chunks = await collect(openai_provider, req("retry me"))

    assert "".join(c.delta for c in chunks) == "Echo: retry me"
    assert recorded_sleeps.calls == [1.0]


# -- errors and retries -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "error_type", "code"),
    [
        (fakes.forbidden_reply(), PermissionDeniedError, "unsupported_country_region_territory"),
        (fakes.context_length_reply(), ContextLengthExceededError, "context_length_exceeded"),
        (fakes.content_policy_reply(), ContentFilteredError, "content_policy_violation"),
        (
            fakes.bad_request_reply("unsupported_value", "Unsupported value: 'temperature'"),
            BadRequestError,
            "unsupported_value",
        ),
        (fakes.quota_reply(), QuotaExceededError, "insufficient_quota"),
    ],
)
async def test_errors_that_are_not_retried(
    openai_provider: OpenAIProvider,
    openai_fake: OpenAIFake,
    recorded_sleeps: SleepRecorder,
    reply: Reply,
    error_type: type[ProviderError],
    code: str,
) -> None:
    openai_fake.enqueue(reply)
    with pytest.raises(error_type) as info:
        await openai_provider.chat(req())
    assert type(info.value) is error_type
    assert info.value.status_code == reply.status
    assert info.value.error_code == code
    assert info.value.request_id == reply.headers["x-request-id"]
    assert len(openai_fake.requests) == 1 and recorded_sleeps.calls == []


async def test_bad_key_is_authentication_error_not_retried(openai_fake: OpenAIFake) -> None:
    provider = OpenAIProvider(api_key="sk-wrong-000000000000", base_url=f"{openai_fake.base_url}/v1")
    try:
        with pytest.raises(AuthenticationError) as info:
            await provider.chat(req())
    finally:
        await provider.aclose()
    assert info.value.status_code == 401 and info.value.error_code == "invalid_api_key"
    assert "sk-wrong-000000000000" not in str(info.value)
    assert len(openai_fake.requests) == 1


async def test_unknown_model_is_model_not_found(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    with pytest.raises(ProviderModelNotFoundError) as info:
        await openai_provider.chat(req(model="gpt-9"))
    assert info.value.status_code == 404 and info.value.error_code == "model_not_found"
    assert "gpt-9" in str(info.value)
    assert len(openai_fake.requests) == 1


async def test_rate_limit_maps_with_retry_after(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_provider.max_retries = 0
    openai_fake.enqueue(fakes.rate_limit_reply("3"))
    with pytest.raises(RateLimitError) as info:
        await openai_provider.chat(req())
    assert type(info.value) is RateLimitError
    assert info.value.retry_after == 3.0 and info.value.error_code == "rate_limit_exceeded"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_map_to_unavailable(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, status: int
) -> None:
    openai_provider.max_retries = 0
    openai_fake.enqueue(fakes.server_error_reply(status, **{"retry-after": "1"}))
    with pytest.raises(ProviderUnavailableError) as info:
        await openai_provider.chat(req())
    assert info.value.status_code == status and info.value.retry_after == 1.0


async def test_429_then_200_honours_retry_after(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(fakes.rate_limit_reply("2"))
    retries: list[RetryInfo] = []

    response = await openai_provider.chat(req("after the wait"), on_retry=retries.append)

    assert response.content == "Echo: after the wait"
    assert recorded_sleeps.calls == [2.0]
    assert len(retries) == 1
    assert retries[0].attempt == 1 and retries[0].delay == 2.0
    assert isinstance(retries[0].error, RateLimitError)
    assert len(openai_fake.requests) == 2


async def test_retry_after_ms_wins(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(fakes.rate_limit_reply("2", **{"retry-after-ms": "1500"}))
    await openai_provider.chat(req())

    assert recorded_sleeps.calls == [1.5]


async def test_503_is_retried_up_to_max_retries_then_raises(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(*(fakes.server_error_reply(503) for _ in range(3)))
    retries: list[RetryInfo] = []
    with pytest.raises(ProviderUnavailableError) as info:
        await openai_provider.chat(req(), on_retry=retries.append)
    assert info.value.error_code == "server_is_overloaded"
    assert len(openai_fake.requests) == 3  # the first try plus max_retries=2
    assert [r.attempt for r in retries] == [1, 2]
    assert len(recorded_sleeps.calls) == 2 and 0.375 <= recorded_sleeps.calls[0] <= 0.5


async def test_timeout(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_provider.max_retries = 0
    openai_fake.delay_next = 1.0
    with pytest.raises(ProviderTimeoutError):
        await openai_provider.chat(req(timeout=0.2))


# -- o1 through the Responses API -------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"tools": [WEATHER_TOOL]},
        {"json_response": True},
        {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}},
        {"tool_choice": "auto"},
    ],
)
@pytest.mark.parametrize("model", ["o1", "o1-mini", "o1-preview", "o1-pro"])
async def test_o1_refuses_tools_and_formats_before_sending(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, model: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(UnsupportedFeatureError):
        await openai_provider.chat(req(model=model, **kwargs))
    with pytest.raises(UnsupportedFeatureError):
        await collect(openai_provider, req(model=model, **kwargs))
    assert openai_fake.requests == []


async def test_o1_uses_the_responses_api(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    request = LLMRequest(
        model="o1",
        messages=[Message(role="system", content="Be brief."), Message(role="user", content="Hi o1")],
        max_tokens=500,
    )
    response = await openai_provider.chat(request)

    assert openai_fake.requests[0].path == "/v1/responses"
    assert sent(openai_fake) == {
        "model": "o1",
        "input": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi o1"}],
        "max_output_tokens": 500,
        "store": False,
    }
    assert response.content == "Echo: Hi o1"
    assert response.finish_reason == "stop"
    assert response.usage["reasoning_tokens"] == 64
    assert response.usage["completion_tokens"] > 64
    assert response.request_id and response.request_id.startswith("req_")


async def test_o1_with_image_and_pdf_parts(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "Look"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}},
    ]
    response = await openai_provider.chat(LLMRequest(model="o1", messages=[Message(role="user", content=parts)]))

    assert response.content == "Echo: Look [images=1] [files=1]"
    assert sent(openai_fake)["input"][0]["content"][2] == {
        "type": "input_file",
        "filename": "document.pdf",
        "file_data": f"data:application/pdf;base64,{PDF}",
    }


async def test_o1_incomplete_is_length(openai_provider: OpenAIProvider) -> None:
    response = await openai_provider.chat(req("one two three four", model="o1-mini", max_tokens=66))

    assert response.finish_reason == "length"
    assert response.content == "Echo: one"


async def test_o1_stream(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    chunks = await collect(openai_provider, req("stream o1", model="o1"))

    assert "".join(c.delta for c in chunks) == "Echo: stream o1"
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage["reasoning_tokens"] == 64
    assert sent(openai_fake)["stream"] is True


async def test_o1_stream_error_event_raises(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    error = {
        "type": "error",
        "sequence_number": 3,
        "code": "server_is_overloaded",
        "message": "Our servers are currently overloaded. Please try again later.",
        "param": None,
    }
    openai_fake.enqueue(Reply(200, chunks=fakes.sse([("error", error)]), content_type="text/event-stream"))
    with pytest.raises(ProviderUnavailableError):
        await collect(openai_provider, req(model="o1"))


async def test_o1_stream_drop_raises(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_fake.drop_stream_after = 4
    with pytest.raises(ProviderConnectionError):
        await collect(openai_provider, req("a b c", model="o1"))


# -- configuration ----------------------------------------------------------------------------------
async def test_missing_key_names_the_env_var(openai_fake: OpenAIFake) -> None:
    provider = OpenAIProvider(base_url=f"{openai_fake.base_url}/v1")
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        await provider.chat(req())
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        await collect(provider, req())
    assert openai_fake.requests == []


async def test_key_and_base_url_from_env(openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", openai_fake.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_fake.base_url}/v1/")
    provider = OpenAIProvider()
    try:
        response = await provider.chat(req("from env"))
    finally:
        await provider.aclose()
    assert response.content == "Echo: from env"
    assert provider.base_url == f"{openai_fake.base_url}/v1"
