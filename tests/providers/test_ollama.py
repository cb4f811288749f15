"""OllamaProvider against the local Ollama fake (every request is contract-checked at teardown)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderConnectionError,
    ProviderError,
    ProviderModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    UnsupportedFeatureError,
)
from llmring.providers.base import RetryInfo
from llmring.providers.ollama import OllamaProvider, synthesized_call_id
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes.fixtures_openai_ollama import SleepRecorder
from tests.fakes.ollama_fake import MODEL_FAILED, OllamaFake, error_reply, unauthorized_reply
from tests.fakes.server import Reply

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME_TOOL = {"name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def req(text: str = "Hello", model: str = "llama3.2", **kwargs: Any) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content=text)], **kwargs)


def sent(fake: OllamaFake, index: int = -1) -> dict[str, Any]:
    body = fake.requests[index].json
    assert isinstance(body, dict)
    return body


async def collect(provider: OllamaProvider, request: LLMRequest) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(request)]


# -- requests and responses ---------------------------------------------------------------------------
async def test_text_chat(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    response = await ollama_provider.chat(req("Hello there"))

    assert response.content == "Echo: Hello there"
    assert response.provider == "ollama" and response.model == "llama3.2"
    assert response.finish_reason == "stop"
    assert response.usage["prompt_tokens"] > 0 and response.usage["completion_tokens"] > 0
    assert ollama_fake.requests[0].path == "/api/chat"
    assert "authorization" not in ollama_fake.requests[0].headers
    assert sent(ollama_fake) == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Hello there"}],
        "stream": False,
    }


async def test_options_only_what_was_set(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    await ollama_provider.chat(req(temperature=0, top_p=0.9, seed=3, stop=["END"], max_tokens=40))

    assert sent(ollama_fake)["options"] == {
        "temperature": 0,
        "top_p": 0.9,
        "seed": 3,
        "stop": ["END"],
        "num_predict": 40,
    }


async def test_temperature_zero_alone(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    await ollama_provider.chat(req(temperature=0.0))

    assert sent(ollama_fake)["options"] == {"temperature": 0}


async def test_system_prompt(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    request = LLMRequest(
        model="llama3.2", messages=[Message(role="system", content="Be terse."), Message(role="user", content="Hi")]
    )
    await ollama_provider.chat(request)

    assert sent(ollama_fake)["messages"][0] == {"role": "system", "content": "Be terse."}


async def test_length_finish_reason(ollama_provider: OllamaProvider) -> None:
    response = await ollama_provider.chat(req("one two three", max_tokens=2))

    assert response.finish_reason == "length"
    assert response.content == "Echo: one"


async def test_tool_call_round_trip_with_synthesised_ids(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake
) -> None:
    first = await ollama_provider.chat(req("Weather in Paris?", tools=[WEATHER_TOOL]))

    assert first.finish_reason == "tool_calls"
    assert first.tool_calls is not None and len(first.tool_calls) == 1
    call = first.tool_calls[0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert call["id"] == synthesized_call_id(0, "get_weather", '{"city":"Paris"}')
    assert sent(ollama_fake)["tools"] == [WEATHER_TOOL]
    again = await ollama_provider.chat(req("Weather in Paris?", tools=[WEATHER_TOOL]))
    assert again.tool_calls == first.tool_calls  # stable ids: same call, same id

    history = [
        Message(role="user", content="Weather in Paris?"),
        Message(role="assistant", content="", tool_calls=first.tool_calls),
        Message(role="tool", tool_call_id=call["id"], content='{"temp_c": 21}'),
    ]
    second = await ollama_provider.chat(LLMRequest(model="llama3.2", messages=history, tools=[WEATHER_TOOL]))

    assert second.content == 'The tool get_weather returned {"temp_c": 21}.'
    assert second.finish_reason == "stop"
    messages = sent(ollama_fake)["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
    }
    assert messages[2] == {"role": "tool", "content": '{"temp_c": 21}', "tool_name": "get_weather"}


async def test_parallel_tool_calls(ollama_provider: OllamaProvider) -> None:
    response = await ollama_provider.chat(req("Weather and time?", tools=[WEATHER_TOOL, TIME_TOOL]))

    assert response.tool_calls is not None
    assert [c["function"]["name"] for c in response.tool_calls] == ["get_weather", "get_time"]
    assert len({c["id"] for c in response.tool_calls}) == 2


async def test_server_tool_call_ids_are_kept(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    ollama_fake.tool_call_ids = True
    response = await ollama_provider.chat(req("Weather?", tools=[WEATHER_TOOL]))

    assert response.tool_calls is not None and response.tool_calls[0]["id"] == "call_ollama0"


async def test_tool_choice_none_sends_no_tools(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    response = await ollama_provider.chat(req("Weather?", tools=[WEATHER_TOOL], tool_choice="none"))

    assert "tools" not in sent(ollama_fake)
    assert response.tool_calls is None


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
async def test_forced_tool_choice_is_refused_before_sending(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake, choice: Any
) -> None:
    with pytest.raises(UnsupportedFeatureError):
        await ollama_provider.chat(req(tools=[WEATHER_TOOL], tool_choice=choice))
    assert ollama_fake.requests == []


@pytest.mark.parametrize("kwargs", [{"json_response": True}, {"response_format": {"type": "json_object"}}])
async def test_json_mode(ollama_provider: OllamaProvider, ollama_fake: OllamaFake, kwargs: dict[str, Any]) -> None:
    response = await ollama_provider.chat(req("Answer in JSON", **kwargs))

    assert sent(ollama_fake)["format"] == "json"
    assert json.loads(response.content) == {"answer": "Answer in JSON"}


async def test_json_schema(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["city", "n"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    response = await ollama_provider.chat(req("JSON please", response_format=fmt))

    assert sent(ollama_fake)["format"] == schema
    jsonschema.validate(json.loads(response.content), schema)


async def test_image_input(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]
    response = await ollama_provider.chat(LLMRequest(model="llava:7b", messages=[Message(role="user", content=parts)]))

    assert response.content == "Echo: What is this? [images=1]"
    assert sent(ollama_fake)["messages"][0] == {"role": "user", "content": "What is this?", "images": [PNG]}


async def test_remote_image_url_is_refused_before_sending(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake
) -> None:
    parts = [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
    with pytest.raises(BadRequestError):
        await ollama_provider.chat(LLMRequest(model="llava:7b", messages=[Message(role="user", content=parts)]))
    assert ollama_fake.requests == []


async def test_pdf_is_refused_before_sending(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "Summarise"},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}},
    ]
    request = LLMRequest(model="llama3.2", messages=[Message(role="user", content=parts)])
    with pytest.raises(UnsupportedFeatureError):
        await ollama_provider.chat(request)
    with pytest.raises(UnsupportedFeatureError):
        await collect(ollama_provider, request)
    assert ollama_fake.requests == []


# -- streaming --------------------------------------------------------------------------------------
async def test_stream_text_with_final_usage(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    chunks = await collect(ollama_provider, req("stream this please"))

    assert "".join(c.delta for c in chunks) == "Echo: stream this please"
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage == (await ollama_provider.chat(req("stream this please"))).usage
    assert all(c.usage is None for c in chunks[:-1])
    assert sent(ollama_fake, 0)["stream"] is True


async def test_stream_tool_calls(ollama_provider: OllamaProvider) -> None:
    chunks = await collect(ollama_provider, req("Weather and time?", tools=[WEATHER_TOOL, TIME_TOOL]))

    deltas = [d for c in chunks for d in c.tool_calls or ()]
    assert [(d["index"], d["function"]["name"]) for d in deltas] == [(0, "get_weather"), (1, "get_time")]
    assert json.loads(deltas[0]["function"]["arguments"]) == {"city": "Paris"}
    assert all(d["id"].startswith("call_") for d in deltas)
    assert chunks[-1].finish_reason == "tool_calls"
    assert chunks[-1].usage is not None and chunks[-1].usage["completion_tokens"] > 0


async def test_stream_error_line_raises(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    ollama_fake.stream_error_after = 2
    received: list[StreamChunk] = []
    with pytest.raises(ProviderUnavailableError, match=MODEL_FAILED):
        async for chunk in ollama_provider.stream(req("a b c d")):
            received.append(chunk)
    assert "".join(c.delta for c in received) == "Echo: a"


async def test_stream_drop_raises(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    ollama_fake.drop_stream_after = 2
    with pytest.raises(ProviderConnectionError):
        await collect(ollama_provider, req("a b c d"))
    assert len(ollama_fake.requests) == 1


# -- errors and retries -----------------------------------------------------------------------------
async def test_unknown_model_is_model_not_found(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    with pytest.raises(ProviderModelNotFoundError, match="model 'llama9' not found") as info:
        await ollama_provider.chat(req(model="llama9"))
    assert info.value.status_code == 404
    assert len(ollama_fake.requests) == 1


@pytest.mark.parametrize(
    ("reply", "error_type"),
    [
        (error_reply(400, "invalid options"), BadRequestError),
        (unauthorized_reply(), AuthenticationError),
    ],
)
async def test_client_errors_are_not_retried(
    ollama_provider: OllamaProvider,
    ollama_fake: OllamaFake,
    recorded_sleeps: SleepRecorder,
    reply: Reply,
    error_type: type[ProviderError],
) -> None:
    ollama_fake.enqueue(reply)
    with pytest.raises(error_type) as info:
        await ollama_provider.chat(req())
    assert info.value.status_code == reply.status
    assert len(ollama_fake.requests) == 1 and recorded_sleeps.calls == []


async def test_rate_limit_with_retry_after(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    ollama_provider.max_retries = 0
    ollama_fake.enqueue(error_reply(429, "too many requests", **{"retry-after": "4"}))
    with pytest.raises(RateLimitError) as info:
        await ollama_provider.chat(req())
    assert info.value.retry_after == 4.0


async def test_429_then_200_honours_retry_after(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake, recorded_sleeps: SleepRecorder
) -> None:
    ollama_fake.enqueue(error_reply(429, "too many requests", **{"retry-after": "2"}))
    retries: list[RetryInfo] = []
    response = await ollama_provider.chat(req("later"), on_retry=retries.append)

    assert response.content == "Echo: later"
    assert recorded_sleeps.calls == [2.0]
    assert [r.attempt for r in retries] == [1]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried_then_raise(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake, recorded_sleeps: SleepRecorder, status: int
) -> None:
    ollama_fake.enqueue(*(error_reply(status, "upstream unreachable") for _ in range(3)))
    with pytest.raises(ProviderUnavailableError) as info:
        await ollama_provider.chat(req())
    assert info.value.status_code == status
    assert len(ollama_fake.requests) == 3 and len(recorded_sleeps.calls) == 2


async def test_timeout(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    ollama_provider.max_retries = 0
    ollama_fake.delay_next = 1.0
    with pytest.raises(ProviderTimeoutError):
        await ollama_provider.chat(req(timeout=0.2))


# -- configuration ----------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["OLLAMA_HOST", "OLLAMA_BASE_URL"])
async def test_base_url_from_env(ollama_fake: OllamaFake, monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    host_port = ollama_fake.base_url.removeprefix("http://")
    monkeypatch.setenv(env, host_port if env == "OLLAMA_HOST" else ollama_fake.base_url)
    provider = OllamaProvider()
    try:
        response = await provider.chat(req("from env"))
    finally:
        await provider.aclose()
    assert response.content == "Echo: from env"
    assert provider.base_url == ollama_fake.base_url


async def test_optional_key_is_sent_as_bearer(ollama_fake: OllamaFake) -> None:
    provider = OllamaProvider(api_key="ollama-cloud-key", base_url=ollama_fake.base_url)
    try:
        await provider.chat(req())
    finally:
        await provider.aclose()
    assert ollama_fake.requests[0].headers["authorization"] == "Bearer ollama-cloud-key"
