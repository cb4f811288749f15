"""Issue 14: ``ring.chat(request, response_model=...)`` on every provider, through its fake.

Each provider is sent its native structured-output form (checked field by field here, and against
the provider's contract by the fake's teardown check) and the answer comes back validated in
``response.parsed``. An answer that does not validate raises ``StructuredOutputError`` carrying
the raw text, after the call was logged and priced.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from llmring.errors import ConfigurationError, StructuredOutputError, UnsupportedFeatureError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from llmring.structured import is_strict, output_schema, strict_schema
from tests.fakes import google_fake
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake


class Place(BaseModel):
    city: str
    country: str = Field(description="ISO country name")


class Weather(BaseModel):
    place: Place
    temperature_c: float
    note: str | None = None


class Impossible(BaseModel):
    count: int = Field(ge=100)  # the fakes answer 21 for every integer


def ask(model: str, text: str = "Weather in Paris?") -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content=text)])


def rows(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM llm_api_calls ORDER BY rowid")]
    finally:
        conn.close()


async def ring_with(tmp_path: Path, name: str, provider: BaseProvider) -> AsyncIterator[LLMRingSQLite]:
    ring = LLMRingSQLite(tmp_path / "calls.db", origin="tests", providers={name: provider})
    yield ring
    await ring.close()


@pytest.fixture
async def openai_ring(tmp_path: Path, openai_provider: OpenAIProvider) -> AsyncIterator[LLMRingSQLite]:
    async for ring in ring_with(tmp_path, "openai", openai_provider):
        yield ring


def test_strict_schema_closes_every_object_and_requires_every_property() -> None:
    schema = strict_schema(Weather.model_json_schema())
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["place", "temperature_c", "note"]
    assert "default" not in schema["properties"]["note"]
    assert schema["$defs"]["Place"]["required"] == ["city", "country"]
    assert schema["$defs"]["Place"]["additionalProperties"] is False
    assert is_strict(schema) and not is_strict(Weather.model_json_schema())
    assert Weather.model_json_schema()["required"] == ["place", "temperature_c"]  # the input is untouched


def test_a_ref_with_siblings_is_inlined() -> None:
    class Trip(BaseModel):
        start: Place = Field(description="where it starts")

    schema = strict_schema(Trip.model_json_schema())
    start = schema["properties"]["start"]
    assert "$ref" not in start and start["description"] == "where it starts"
    assert start["properties"]["city"] == {"title": "City", "type": "string"} and start["additionalProperties"] is False


async def test_openai_sends_strict_json_schema_and_returns_the_object(
    openai_ring: LLMRingSQLite, openai_fake: OpenAIFake
) -> None:
    response = await openai_ring.chat(ask("gpt-4o-mini"), response_model=Weather)
    fmt = openai_fake.requests[-1].json["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Weather" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    assert isinstance(response.parsed, Weather)
    assert response.parsed == Weather.model_validate_json(response.content)


async def test_an_answer_that_does_not_validate_raises_with_raw_text_and_is_logged_and_priced(
    openai_ring: LLMRingSQLite, openai_fake: OpenAIFake, tmp_path: Path
) -> None:
    with pytest.raises(StructuredOutputError) as caught:
        await openai_ring.chat(ask("gpt-4o-mini"), response_model=Impossible)
    error = caught.value
    assert json.loads(error.raw_text) == {"count": 21}
    assert "count: Input should be greater than or equal to 100" in str(error) and "\n" not in str(error)
    assert error.response is not None and error.response.cost is not None and error.response.cost > 0
    await openai_ring.flush()
    [row] = rows(tmp_path / "calls.db")
    assert row["status"] == "success" and row["estimated_cost_pico"] > 0


async def test_a_json_schema_dict_is_sent_as_given_and_validated(
    openai_ring: LLMRingSQLite, openai_fake: OpenAIFake
) -> None:
    schema = {"title": "Answer", "type": "object", "properties": {"answer": {"type": "string"}}}
    response = await openai_ring.chat(ask("gpt-4o-mini"), response_model=schema)
    sent = openai_fake.requests[-1].json["response_format"]["json_schema"]
    assert sent == {"name": "Answer", "schema": schema, "strict": False}  # open schema: not strict
    assert response.parsed == {"answer": "sample"}
    minimum = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 50}}}
    with pytest.raises(StructuredOutputError, match="answer: 21 is less than the minimum of 50"):
        await openai_ring.chat(ask("gpt-4o-mini"), response_model=minimum)


async def test_response_model_and_response_format_together_are_refused(openai_ring: LLMRingSQLite) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        await openai_ring.chat(
            LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="x")], json_response=True),
            response_model=Weather,
        )
    with pytest.raises(ConfigurationError, match="pydantic model class or a JSON schema dict"):
        output_schema(42)


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-sonnet-4-6"])
async def test_anthropic_native_output_config_format(
    tmp_path: Path, anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, model: str
) -> None:
    async for ring in ring_with(tmp_path, "anthropic", anthropic_provider):
        response = await ring.chat(ask(model), response_model=Weather)
    body = anthropic_fake_server.last_body
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert body["output_config"]["format"]["schema"]["$defs"]["Place"]["additionalProperties"] is False
    assert "tools" not in body and "tool_choice" not in body
    assert isinstance(response.parsed, Weather)


async def test_anthropic_native_output_keeps_thinking(
    tmp_path: Path, anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    # With a forced tool Claude cannot think; native output leaves thinking on.
    request = ask("claude-sonnet-4-6").model_copy(update={"reasoning": "high"})
    async for ring in ring_with(tmp_path, "anthropic", anthropic_provider):
        response = await ring.chat(request, response_model=Weather)
    body = anthropic_fake_server.last_body
    assert body["output_config"]["effort"] == "high" and body["thinking"] == {"type": "adaptive"}
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert isinstance(response.parsed, Weather)


async def test_anthropic_without_native_output_forces_a_tool(
    tmp_path: Path, anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    async for ring in ring_with(tmp_path, "anthropic", anthropic_provider):
        response = await ring.chat(ask("claude-3-7-sonnet-20250219"), response_model=Weather)
    body = anthropic_fake_server.last_body
    assert "output_config" not in body
    assert body["tool_choice"] == {"type": "tool", "name": "json_response"}
    assert isinstance(response.parsed, Weather)


async def test_gemini_sends_response_json_schema(
    tmp_path: Path, google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    async for ring in ring_with(tmp_path, "google", google_provider):
        response = await ring.chat(ask("gemini-2.5-flash"), response_model=Weather)
    config = google_fake_server.requests[-1].json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["place", "temperature_c", "note"]
    assert isinstance(response.parsed, Weather)


async def test_ollama_sends_format_schema(
    tmp_path: Path, ollama_provider: OllamaProvider, ollama_fake: OllamaFake
) -> None:
    async for ring in ring_with(tmp_path, "ollama", ollama_provider):
        response = await ring.chat(ask("llama3.2"), response_model=Weather)
        with pytest.raises(StructuredOutputError, match="does not match Impossible"):
            await ring.chat(ask("llama3.2"), response_model=Impossible)
    assert ollama_fake.requests[0].json["format"]["$defs"]["Place"]["required"] == ["city", "country"]
    assert isinstance(response.parsed, Weather)


def test_a_model_schema_is_built_once() -> None:
    # model_json_schema costs about a millisecond: a ring asking for the same model reuses it.
    assert output_schema(Weather) is output_schema(Weather)
    assert output_schema({"type": "object"}) is not output_schema({"type": "object"})


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("anthropic", "claude-sonnet-4-6"),  # native output_config.format
        ("anthropic", "claude-3-7-sonnet-20250219"),  # a forced tool (retired, still priced)
        ("google", "gemini-3-flash-preview"),
    ],
)
async def test_an_answer_that_does_not_validate_on_claude_and_gemini_is_logged_and_priced(
    tmp_path: Path,
    anthropic_provider: AnthropicProvider,
    google_provider: GoogleProvider,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    model: str,
) -> None:
    monkeypatch.setattr(google_fake, "MODELS", google_fake.MODELS | {"gemini-3-flash-preview"})
    provider: BaseProvider = anthropic_provider if name == "anthropic" else google_provider
    async for ring in ring_with(tmp_path, name, provider):
        with pytest.raises(StructuredOutputError) as caught:
            await ring.chat(ask(model), response_model=Impossible)
        await ring.flush()
    error = caught.value
    assert json.loads(error.raw_text) == {"count": 21}
    assert "count: Input should be greater than or equal to 100" in str(error) and "\n" not in str(error)
    assert error.response is not None and error.response.content == error.raw_text
    [row] = rows(tmp_path / "calls.db")
    assert row["status"] == "success" and row["completion_tokens"] > 0
    assert error.response.cost is not None and error.response.cost > 0 and row["estimated_cost_pico"] > 0


@pytest.mark.parametrize("model", ["gpt-4-turbo", "gpt-3.5-turbo", "gpt-5.4-pro"])
async def test_a_schema_for_a_model_without_structured_output_is_refused_unsent_unlogged(
    openai_ring: LLMRingSQLite, openai_fake: OpenAIFake, tmp_path: Path, model: str
) -> None:
    # OpenAI answers a json_schema response_format on these models with a 400: refuse it first.
    with pytest.raises(UnsupportedFeatureError, match=f"openai:{model} does not support structured output") as caught:
        await openai_ring.chat(ask(model), response_model=Weather)
    assert "\n" not in str(caught.value)
    as_format = ask(model).model_copy(
        update={"response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}}}
    )
    with pytest.raises(UnsupportedFeatureError, match="does not support structured output"):
        await openai_ring.chat(as_format)
    await openai_ring.flush()
    assert openai_fake.requests == [] and rows(tmp_path / "calls.db") == []
