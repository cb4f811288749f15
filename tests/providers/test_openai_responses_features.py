"""Issue 14: models the registry marks ``responses_only`` (here ``gpt-5-pro``) get the same features
through ``/v1/responses`` as other models through Chat Completions: tools (whole and streamed),
tool_choice, structured output, usage. Every body and event is checked against the spec and the
SDK types by the fake's teardown check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from llmring.cache import StreamAssembler
from llmring.errors import UnsupportedFeatureError
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake

MODEL = "gpt-5-pro"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME = {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}


class Summary(BaseModel):
    title: str
    points: list[str]


def ask(text: str = "Weather in Paris?", **kw: Any) -> LLMRequest:
    return LLMRequest(model=MODEL, messages=[Message(role="user", content=text)], **kw)


async def test_tools_go_flat_with_strict_false_and_calls_come_back(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    response = await openai_provider.chat(ask(tools=[WEATHER, TIME]))
    request = openai_fake.requests[-1]
    assert request.path == "/v1/responses"
    assert request.json["tools"][0] == {
        "type": "function",
        "name": "get_weather",
        "parameters": WEATHER["function"]["parameters"],
        "strict": False,
        "description": "Weather for a city.",
    }
    assert [c["function"]["name"] for c in response.tool_calls or []] == ["get_weather", "get_time"]
    assert json.loads(response.tool_calls[0]["function"]["arguments"]) == {"city": "Paris"}  # type: ignore[index]
    assert response.finish_reason == "tool_calls" and response.usage["reasoning_tokens"] > 0


async def test_a_forced_tool_is_a_function_tool_choice(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    response = await openai_provider.chat(ask(tools=[WEATHER, TIME], tool_choice="get_time"))
    assert openai_fake.requests[-1].json["tool_choice"] == {"type": "function", "name": "get_time"}
    assert [c["function"]["name"] for c in response.tool_calls or []] == ["get_time"]
    await openai_provider.chat(ask(tools=[WEATHER], tool_choice="required"))
    assert openai_fake.requests[-1].json["tool_choice"] == "required"


async def test_streamed_tool_calls_assemble_like_chat_completions(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    assembler = StreamAssembler()
    chunks = [c async for c in openai_provider.stream(ask(tools=[WEATHER, TIME]))]
    for chunk in chunks:
        assembler.add(chunk)
    final = chunks[-1]
    assert final.finish_reason == "tool_calls" and final.usage is not None
    assert len([c for c in chunks if c.tool_calls]) > 3  # the arguments arrive in fragments
    whole = assembler.response(MODEL, final.finish_reason, final.usage, None)
    assert [(c["id"], c["function"]["name"]) for c in whole.tool_calls or []] == [
        ("call_fake0get_weat", "get_weather"),
        ("call_fake1get_time", "get_time"),
    ]
    assert json.loads(whole.tool_calls[0]["function"]["arguments"]) == {"city": "Paris"}  # type: ignore[index]


async def test_a_tool_round_trip(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    messages = [
        Message(role="user", content="Weather in Paris?"),
        Message(role="assistant", content="", tool_calls=[call]),
        Message(role="tool", tool_call_id="call_1", content='{"temp_c": 21}'),
    ]
    response = await openai_provider.chat(LLMRequest(model=MODEL, messages=messages, tools=[WEATHER]))
    items = openai_fake.requests[-1].json["input"]
    assert items[1] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }
    assert items[2] == {"type": "function_call_output", "call_id": "call_1", "output": '{"temp_c": 21}'}
    assert response.tool_calls is None and response.finish_reason == "stop"


async def test_structured_output_goes_as_text_format(
    tmp_path: Path, openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    ring = LLMRingSQLite(tmp_path / "calls.db", origin="tests", providers={"openai": openai_provider})
    try:
        response = await ring.chat(ask("Summarise"), response_model=Summary)
        plain = await ring.chat(ask("JSON please", json_response=True))
    finally:
        await ring.close()
    first, second = (r.json["text"]["format"] for r in openai_fake.requests)
    assert first["type"] == "json_schema" and first["name"] == "Summary" and first["strict"] is True
    assert first["schema"]["required"] == ["title", "points"]
    assert response.parsed == Summary(title="sample", points=["sample"])
    assert second == {"type": "json_object"} and json.loads(plain.content)["answer"]


@pytest.mark.parametrize(("field", "value"), [("stop", ["END"]), ("seed", 7)])
async def test_what_the_responses_api_lacks_is_refused_unsent(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, field: str, value: Any
) -> None:
    with pytest.raises(UnsupportedFeatureError, match=f"does not support {field}"):
        await openai_provider.chat(ask(**{field: value}))
    assert openai_fake.requests == []


def shape(value: Any) -> Any:
    """The keys and value types of a response (values themselves left out)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in ("call_id",)}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


async def test_same_result_shape_and_row_as_chat_completions(
    tmp_path: Path, openai_provider: OpenAIProvider, openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import openai_fake as fake_module
    from tests.service.conftest import rows

    # gpt-5.3-codex is Responses-only and streams (gpt-5-pro does not): what the fake serves for it.
    monkeypatch.setitem(fake_module.MODELS, "gpt-5.3-codex", "gpt-5.3-codex")
    ring = LLMRingSQLite(tmp_path / "calls.db", origin="tests", providers={"openai": openai_provider})
    try:
        results = {}
        for model in ("gpt-5", "gpt-5.3-codex"):
            asked = LLMRequest(
                model=model, messages=[Message(role="user", content="Weather?")], tools=[WEATHER], reasoning="high"
            )
            whole = await ring.chat(asked)
            chunks = [c async for c in ring.chat_stream(asked)]
            results[model] = (whole, chunks)
        await ring.flush()
    finally:
        await ring.close()
    assert [r.path for r in openai_fake.requests] == ["/v1/chat/completions"] * 2 + ["/v1/responses"] * 2
    (chat, chat_chunks), (resp, resp_chunks) = results["gpt-5"], results["gpt-5.3-codex"]
    assert shape(resp.model_dump()) == shape(chat.model_dump())
    assert resp.finish_reason == chat.finish_reason == "tool_calls"
    names = [[c["function"]["name"] for c in r.tool_calls or []] for r in (resp, chat)]
    assert names == [["get_weather"], ["get_weather"]] and shape(resp.tool_calls) == shape(chat.tool_calls)
    assert resp.usage["reasoning_tokens"] > 0 and resp.usage["cost"] > 0
    assert resp_chunks[-1].usage is not None and set(resp_chunks[-1].usage) == set(chat_chunks[-1].usage or {})
    assert resp_chunks[-1].finish_reason == chat_chunks[-1].finish_reason == "tool_calls"
    logged = rows(tmp_path / "calls.db")
    filled = [{k for k, v in row.items() if v is not None} - {"call_id", "id"} for row in logged]
    assert filled[2] == filled[0] and filled[3] == filled[1]  # Responses rows fill what Chat rows fill
    assert [(r["reasoning"], r["status"], r["stream"]) for r in logged[2:]] == [
        ("high", "success", 0),
        ("high", "success", 1),
    ]
