"""OpenAIProvider streaming, and o1 models through the Responses API, against the local fake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmring.errors import (
    ProviderConnectionError,
    ProviderUnavailableError,
    UnsupportedFeatureError,
)
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes import openai_replies as fakes
from tests.fakes.fixtures_openai_ollama import SleepRecorder
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply, sse
from tests.providers.openai_helpers import PDF, PNG, TIME_TOOL, WEATHER_TOOL, collect, joined_tool_calls, req, sent


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
    openai_fake.enqueue(Reply(200, chunks=sse([(None, chunk)]), content_type="text/event-stream"))
    with pytest.raises(ProviderConnectionError):
        await collect(openai_provider, req())


async def test_stream_error_before_first_byte_is_retried(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(fakes.rate_limit_reply("1"))
    chunks = await collect(openai_provider, req("retry me"))

    assert "".join(c.delta for c in chunks) == "Echo: retry me"
    assert recorded_sleeps.calls == [1.0]


# -- o1 through the Responses API -------------------------------------------------------------------
# Tools and formats go through the Responses API too (test_openai_responses_features.py); what that
# API does not have is refused.
@pytest.mark.parametrize("kwargs", [{"stop": ["END"]}, {"seed": 7}])
@pytest.mark.parametrize("model", ["o1", "o1-mini", "o1-preview", "o1-pro"])
async def test_o1_refuses_stop_and_seed_before_sending(
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
    openai_fake.enqueue(Reply(200, chunks=sse([("error", error)]), content_type="text/event-stream"))
    with pytest.raises(ProviderUnavailableError):
        await collect(openai_provider, req(model="o1"))


async def test_o1_stream_drop_raises(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_fake.drop_stream_after = 4
    with pytest.raises(ProviderConnectionError):
        await collect(openai_provider, req("a b c", model="o1"))
