"""Requests, payloads and stream helpers shared by the OpenAI provider tests."""

from __future__ import annotations

from typing import Any

from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes.openai_fake import OpenAIFake

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
    """A one-user-message request."""
    return LLMRequest(model=model, messages=[Message(role="user", content=text)], **kwargs)


def sent(fake: OpenAIFake, index: int = -1) -> dict[str, Any]:
    """The JSON body of a request the fake recorded (the last one by default)."""
    body = fake.requests[index].json
    assert isinstance(body, dict)
    return body


async def collect(provider: OpenAIProvider, request: LLMRequest) -> list[StreamChunk]:
    """Every chunk of a stream."""
    return [chunk async for chunk in provider.stream(request)]


def joined_tool_calls(chunks: list[StreamChunk]) -> dict[int, dict[str, str]]:
    """Streamed tool-call deltas put back together per index: id, name and the joined arguments."""
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in chunk.tool_calls or ():
            call = calls.setdefault(delta["index"], {"id": "", "name": "", "arguments": ""})
            call["id"] = delta.get("id", call["id"])
            call["name"] = delta["function"].get("name", call["name"])
            call["arguments"] += delta["function"]["arguments"]
    return calls
