"""The contract validators themselves: they accept the documented payloads and reject broken ones.

Without these negative controls a validator that accepts everything would make every provider
test pass vacuously (pydantic's lazy ``Iterable`` validation is exactly such a trap).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.google_contents import build_body
from llmring.schemas import LLMRequest, Message
from tests.contracts import anthropic_contract as an
from tests.contracts import google_contract as gm

# wire_formats.md 2.2 (checked there against the SDK).
AN_REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="},
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                },
                {"type": "text", "text": "Weather where this photo was taken?"},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A", "content": '{"temp_c": 21}'}]},
    ],
    "tools": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ],
    "tool_choice": {"type": "auto"},
    "stop_sequences": ["\n\nHuman:"],
    "stream": False,
}
AN_MESSAGE: dict[str, Any] = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Hi"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 4, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
}
# wire_formats.md 3.2.
GM_REQUEST: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "You are terse."}]},
    "contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQBVKhc7w=="}
            ],
        },
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}}]},
    ],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
                }
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {"temperature": 0.2, "maxOutputTokens": 1024},
}
GM_RESPONSE: dict[str, Any] = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1, "totalTokenCount": 6},
    "modelVersion": "gemini-2.5-flash",
    "responseId": "abc",
}


def changed(base: dict[str, Any], edit: Any) -> dict[str, Any]:
    body = copy.deepcopy(base)
    edit(body)
    return body


# -- Anthropic ----------------------------------------------------------------------------------
def test_anthropic_documented_payloads_pass() -> None:
    assert an.request_violations(AN_REQUEST, an.VERSION_2023) == []
    assert an.request_violations({**AN_REQUEST, "temperature": 0}, an.VERSION_2023) == []
    assert an.request_violations(AN_REQUEST, an.VERSION_2026) == []
    assert an.response_violations(AN_MESSAGE) == []
    assert an.event_violations("ping", {"type": "ping"}) == []
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}
    assert an.header_violations(headers) == []


def _set_role(body: dict[str, Any], role: str) -> None:
    body["messages"][0] = {"role": role, "content": "Hello"}


@pytest.mark.parametrize(
    ("edit", "version", "needle"),
    [
        (lambda b: _set_role(b, "bot"), an.VERSION_2023, "role"),
        (lambda b: _set_role(b, "system"), an.VERSION_2023, "2023-06-01 has only user and assistant"),
        (lambda b: b["messages"][1]["content"][0].update(input='{"city": "Paris"}'), an.VERSION_2023, "input"),
        (lambda b: b.update(foo=1), an.VERSION_2023, "unknown keys"),
        (lambda b: b.update(temperature=0.5), an.VERSION_2026, "unknown keys"),
        (lambda b: b.update(temperature=1.5), an.VERSION_2023, "temperature"),
        (lambda b: b.update(cache_control={"type": "ephemeral"}), an.VERSION_2023, "unknown keys"),
        (lambda b: b.pop("max_tokens"), an.VERSION_2023, "max_tokens"),
        (
            lambda b: b["messages"][0]["content"][0]["source"].update(media_type="image/bmp"),
            an.VERSION_2023,
            "media_type",
        ),
        (
            lambda b: b["messages"][0]["content"].insert(0, {"type": "image_url", "image_url": {"url": "x"}}),
            an.VERSION_2023,
            "",
        ),
        (lambda b: b["messages"][2]["content"].insert(0, {"type": "text", "text": "first"}), an.VERSION_2023, "first"),
        (lambda b: b["messages"][2]["content"][0].update(tool_use_id="toolu_nope"), an.VERSION_2023, "has no tool_use"),
        (lambda b: b["messages"][0]["content"].append({"type": "text", "text": ""}), an.VERSION_2023, "non-empty"),
        (lambda b: b["tools"][0].update(name="get weather!"), an.VERSION_2023, "tool name"),
        (lambda b: b["messages"][0].update(content=""), an.VERSION_2023, "empty content"),
    ],
)
def test_anthropic_validator_rejects_broken_requests(edit: Any, version: str, needle: str) -> None:
    problems = an.request_violations(changed(AN_REQUEST, edit), version)
    assert problems, "a broken request was accepted"
    assert needle in " ".join(problems)


def test_anthropic_validator_rejects_broken_responses_and_events() -> None:
    assert an.response_violations({**AN_MESSAGE, "stop_reason": "stop"})
    assert an.response_violations({**AN_MESSAGE, "usage": {"input_tokens": 1, "output_tokens": 1}})
    assert an.event_violations(
        "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "nope"}}
    )
    assert an.event_violations("message_stop", {"type": "message_start"})
    assert an.error_violations({"error": {"type": "overloaded_error", "message": "x"}})
    assert an.header_violations({"x-api-key": "k", "content-type": "application/json"})


def test_anthropic_bodies_llmring_builds_pass() -> None:
    provider = AnthropicProvider(api_key="sk-ant-test-key")
    call = {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
    request = LLMRequest(
        model="claude-sonnet-4-5",
        messages=[
            Message(role="system", content="Terse.", metadata={"cache_control": {"type": "ephemeral"}}),
            Message(
                role="user",
                content=[
                    {"type": "text", "text": "Look"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
                ],
            ),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="toolu_1", content="cold", metadata={"is_error": True}),
        ],
        tools=[{"name": "get_weather", "parameters": {"properties": {"city": {"type": "string"}}}}],
        response_format={"type": "json_schema", "json_schema": {"schema": {"type": "array", "items": {}}}},
        temperature=0,
        stop=["END"],
    )
    body, plan = provider.build_body(request, stream=True)
    assert an.request_violations(body, an.VERSION_2023) == []
    assert plan is not None and plan.wrapped
    assert body["tool_choice"] == {"type": "any"}  # the user's tool or the JSON one


# -- Gemini -------------------------------------------------------------------------------------
def test_gemini_documented_payloads_pass() -> None:
    assert gm.request_violations(GM_REQUEST) == []
    assert gm.response_violations(GM_RESPONSE) == []
    rate = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "quota",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "46s"}],
        }
    }
    assert gm.error_violations(rate, 429) == []


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda b: b.update(model="gemini-2.5-flash"), "unknown top-level"),
        (lambda b: b["contents"][1].update(role="assistant"), "role"),
        (
            lambda b: b["contents"][0]["parts"][0].update(inlineData={"mimeType": "image/png", "data": "iVBO"}),
            "exactly one",
        ),
        (lambda b: b["generationConfig"].update(maxTokens=5), "generationConfig"),
        (lambda b: b["contents"][0]["parts"].append({"inlineData": {"mimeType": "image/png", "data": "!!"}}), "base64"),
        (lambda b: b["contents"][0]["parts"].append({"text": ""}), "empty text"),
        (
            lambda b: b.update(toolConfig={"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["x"]}}),
            "unknown",
        ),
        (lambda b: b["generationConfig"].update(responseJsonSchema={"type": "object"}), "responseMimeType"),
        (lambda b: b["contents"][2]["parts"][0]["functionResponse"].update(response="21"), "functionResponse"),
        (lambda b: b.update(contents=[]), "contents"),
    ],
)
def test_gemini_validator_rejects_broken_requests(edit: Any, needle: str) -> None:
    problems = gm.request_violations(changed(GM_REQUEST, edit))
    assert problems, "a broken request was accepted"
    assert needle in " ".join(problems)


def test_gemini_validator_rejects_broken_responses_and_errors() -> None:
    bad_enum = changed(GM_RESPONSE, lambda b: b["candidates"][0].update(finishReason="END_TURN"))
    assert "END_TURN" in " ".join(gm.response_violations(bad_enum))
    assert gm.response_violations({**GM_RESPONSE, "usage": {}})
    assert gm.error_violations({"error": {"code": 503, "status": "UNAVAILABLE", "message": "x"}}, 429)
    assert gm.error_violations({"error": {"code": 429, "status": "INTERNAL", "message": "x"}}, 429)
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "46"}
    assert gm.error_violations(
        {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "x", "details": [retry]}}
    )
    assert gm.stream_violations(b"event: message\ndata: {}\n\n")


def test_gemini_bodies_llmring_builds_pass() -> None:
    call = {
        "id": "llmring-abc",
        "type": "function",
        "function": {"name": "lookup", "arguments": "{}"},
        "extra_content": {"google": {"thought_signature": "c2ln"}},
    }
    request = LLMRequest(
        model="gemini-2.5-flash",
        messages=[
            Message(role="system", content="Terse."),
            Message(
                role="user",
                content=[
                    {"type": "text", "text": "Look", "cache_control": {"type": "ephemeral"}},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
                ],
            ),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="llmring-abc", content="not json"),
        ],
        tools=[{"name": "lookup", "parameters": {"$schema": "x", "type": "object", "properties": {}}}],
        tool_choice={"type": "function", "function": {"name": "lookup"}},
        response_format={"type": "json_object"},
        temperature=0,
        seed=1,
    )
    body = build_body(request, "google")
    assert gm.request_violations(body) == []
    model_turn = body["contents"][1]["parts"][0]
    assert model_turn == {"functionCall": {"name": "lookup", "args": {}}, "thoughtSignature": "c2ln"}  # no synthetic id
    assert body["contents"][2]["parts"][0] == {
        "functionResponse": {"name": "lookup", "response": {"output": "not json"}}
    }
