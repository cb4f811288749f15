"""OpenAIProvider requests and responses against the local fake (contract-checked at teardown)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from llmring.errors import (
    BadRequestError,
    MissingAPIKeyError,
    UnsupportedFeatureError,
)
from llmring.providers.base import RetryInfo
from llmring.providers.openai import OpenAIProvider, normalize_finish_reason
from llmring.schemas import LLMRequest, Message
from tests.fakes import openai_replies as fakes
from tests.fakes.fixtures_openai_ollama import SleepRecorder
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply
from tests.providers.openai_helpers import PDF, PNG, TIME_TOOL, WEATHER_TOOL, collect, req, sent


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


# -- usage and finish reasons -----------------------------------------------------------------------
async def test_cached_tokens_are_inside_prompt_tokens(openai_provider: OpenAIProvider) -> None:
    response = await openai_provider.chat(req("word " * 1200))

    assert response.usage["cached_tokens"] == 1024
    assert response.usage["prompt_tokens"] >= 1024  # cached reads are part of the prompt count
    assert response.usage["reasoning_tokens"] == 0


async def test_reasoning_tokens_are_inside_completion_tokens(openai_provider: OpenAIProvider) -> None:
    response = await openai_provider.chat(req("think", model="o3-mini"))

    assert response.usage["reasoning_tokens"] == 64
    assert response.usage["completion_tokens"] > 64


def _completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1741569952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        "system_fingerprint": "fp_1",
    }


@pytest.mark.parametrize(
    ("message", "finish", "content", "expected"),
    [
        ({"role": "assistant", "content": "Hi", "refusal": None}, "content_filter", "Hi", "content_filter"),
        (
            {"role": "assistant", "content": None, "refusal": "I can't help with that."},
            "stop",
            "I can't help with that.",
            "stop",
        ),
        ({"role": "assistant", "content": "cut", "refusal": None}, "length", "cut", "length"),
    ],
)
async def test_finish_reasons_and_refusals(
    openai_provider: OpenAIProvider,
    openai_fake: OpenAIFake,
    message: dict[str, Any],
    finish: str,
    content: str,
    expected: str,
) -> None:
    openai_fake.enqueue(Reply(200, _completion(message, finish), headers={"x-request-id": "req_scripted"}))
    response = await openai_provider.chat(req())

    assert (response.content, response.finish_reason) == (content, expected)
    assert response.request_id == "req_scripted"
    assert response.usage["total_tokens"] == 6
    assert response.metadata.get("refusal", False) is (message["content"] is None)


@pytest.mark.parametrize(
    ("wire", "ours"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        ("something_new", "other"),
        (None, None),
    ],
)
def test_normalize_finish_reason(wire: str | None, ours: str | None) -> None:
    assert normalize_finish_reason(wire) == ours


async def test_async_on_retry_hook_is_awaited(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    seen: list[int] = []

    async def hook(info: RetryInfo) -> None:
        seen.append(info.attempt)

    openai_fake.enqueue(fakes.server_error_reply(500))
    await openai_provider.chat(req(), on_retry=hook)

    assert seen == [1] and len(recorded_sleeps.calls) == 1
