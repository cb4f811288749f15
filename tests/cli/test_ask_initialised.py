"""Issue 14 on an initialised database: after ``init-db`` the service routes with the store's
models, so the store must keep every model's controls (reasoning, Responses-only, native
structured output, prompt-cache minimum). Before migration 007 it kept none of them, and
``ask --reasoning high -m anthropic:claude-sonnet-4-6`` was refused as "takes no reasoning
setting". Each test runs on SQLite and on PostgreSQL, against the local fakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes import anthropic_fake, google_fake
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.openai_fake import OpenAIFake

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}}}
# Claude takes a schema natively only when it is strict (closed, every property required).
STRICT = {**SCHEMA, "required": ["city", "temp_c"], "additionalProperties": False}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The global options of a database that has been through ``init-db`` (bundled models loaded)."""
    if request.param == "sqlite":
        yield ["--sqlite", str(tmp_path / "llmring.db")]
        return
    from tests.db.pg_schemas import fresh_database

    with fresh_database(request.getfixturevalue("pg_dsn")) as url:
        yield ["--database-url", url]


@pytest.fixture
def initialised(target: list[str]) -> list[str]:
    r = CliRunner().invoke(app, [*target, "init-db"])
    assert r.exit_code == 0, r.output
    assert "Models: added" in r.stdout  # the store has models, so calls route with its rows
    return target


def ask(target: list[str], *args: str) -> Result:
    return CliRunner().invoke(app, [*target, "ask", *args])


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicFake]:
    fake = AnthropicFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleFake]:
    fake = GoogleFake().start()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"{fake.base_url}/v1beta")
    monkeypatch.setenv("GEMINI_API_KEY", google_fake.API_KEY)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def test_adaptive_reasoning_reaches_claude(initialised: list[str], claude: AnthropicFake) -> None:
    r = ask(initialised, "-m", "anthropic:claude-sonnet-4-6", "--reasoning", "high", "x")
    assert r.exit_code == 0, r.output
    body = claude.last_body
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"]["effort"] == "high"


def test_a_level_the_model_lacks_is_refused_naming_its_levels(initialised: list[str], claude: AnthropicFake) -> None:
    r = ask(initialised, "-m", "anthropic:claude-sonnet-4-6", "--reasoning", "xhigh", "x")
    assert r.exit_code != 0
    assert "it accepts none, low, medium, high, max" in r.stderr
    assert claude.requests == []


def test_openai_effort_reaches_chat_completions(initialised: list[str], openai_fake: OpenAIFake) -> None:
    r = ask(initialised, "-m", "openai:gpt-5.6-sol", "--reasoning", "xhigh", "x")
    assert r.exit_code == 0, r.output
    [request] = openai_fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.json["reasoning_effort"] == "xhigh"


def test_a_responses_only_model_goes_to_responses(initialised: list[str], openai_fake: OpenAIFake) -> None:
    r = ask(initialised, "-m", "openai:gpt-5.5-pro", "x")
    assert r.exit_code == 0, r.output
    r = ask(initialised, "-m", "openai:gpt-5.5-pro", "--reasoning", "high", "x")
    assert r.exit_code == 0, r.output
    # Chat Completions got both before: the store forgot that the model is Responses-only.
    assert [request.path for request in openai_fake.requests] == ["/v1/responses"] * 2
    assert openai_fake.requests[-1].json["reasoning"]["effort"] == "high"


def test_a_gemini_budget_stays_within_the_models_range(initialised: list[str], gemini: GoogleFake) -> None:
    # gemini-2.5-flash-lite thinks within 512-24,576 tokens: "high" is its most.
    r = ask(initialised, "-m", "google:gemini-2.5-flash-lite", "--reasoning", "high", "x")
    assert r.exit_code == 0, r.output
    assert gemini.last_body["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 24576
    r = ask(initialised, "-m", "google:gemini-2.5-flash-lite", "--reasoning", "100", "x")
    assert r.exit_code != 0 and "does not accept reasoning budget 100" in r.stderr


def test_openai_structured_output_is_native(initialised: list[str], openai_fake: OpenAIFake) -> None:
    r = ask(initialised, "-m", "openai:gpt-4o-mini", "--schema", json.dumps(SCHEMA), "Weather in Paris?")
    assert r.exit_code == 0, r.output  # refused as "does not support structured output" before
    assert json.loads(r.stdout) == {"city": "Paris", "temp_c": 21}
    sent = openai_fake.requests[-1].json["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == SCHEMA


def test_claude_structured_output_is_native(initialised: list[str], claude: AnthropicFake) -> None:
    r = ask(initialised, "-m", "anthropic:claude-sonnet-4-6", "--schema", json.dumps(STRICT), "Weather in Paris?")
    assert r.exit_code == 0, r.output
    body = claude.last_body
    assert body["output_config"]["format"]["schema"] == STRICT  # not a forced tool
    assert "tools" not in body and "tool_choice" not in body


def test_a_prompt_below_the_cache_minimum_gets_no_breakpoint(initialised: list[str], claude: AnthropicFake) -> None:
    # claude-sonnet-4-6 caches prefixes of 1,024 tokens or more: a breakpoint on a short prompt
    # would be wasted (without the registry's minimum one was placed on every prompt).
    r = ask(initialised, "-m", "anthropic:claude-sonnet-4-6", "--prompt-cache", "5m", "-s", "Be brief.", "x")
    assert r.exit_code == 0, r.output
    assert "cache_control" not in json.dumps(claude.last_body)


def test_models_info_shows_how_a_stored_model_is_driven(initialised: list[str]) -> None:
    r = CliRunner().invoke(app, [*initialised, "models", "info", "openai:gpt-5.5-pro"])
    assert r.exit_code == 0, r.output
    lines = {line.split("  ", 1)[0]: line.split("  ", 1)[-1].strip() for line in r.stdout.splitlines()}
    assert lines["Reasoning (-r)"] == "medium, high, xhigh"
    assert lines["Structured output"] == "no"
    assert lines["API"] == "Responses only"
    assert lines["Prompt cache from"] == "1,024 tokens"
    r = CliRunner().invoke(app, [*initialised, "models", "info", "anthropic:claude-sonnet-4-6"])
    assert "Reasoning (-r)      none, low, medium, high, max, or a token budget 1024-127999" in r.stdout
    assert "Structured output   native" in r.stdout
