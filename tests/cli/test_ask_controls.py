"""Issue 14 from the shell: ``ask --schema`` and ``ask --prompt-cache`` (with ``-u``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes import anthropic_fake
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import rows

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}}}


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[anthropic_fake.AnthropicFake]:
    fake = anthropic_fake.AnthropicFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


def test_ask_schema_inline_prints_the_validated_json(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "--schema", json.dumps(SCHEMA), "Weather in Paris?")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"city": "Paris", "temp_c": 21}
    sent = openai_fake.requests[-1].json["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == SCHEMA


def test_ask_schema_from_a_file(openai_fake: OpenAIFake, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "weather.json"
    path.write_text(json.dumps(SCHEMA))
    r = run(db, "ask", "-m", "gpt-4o-mini", "--schema", str(path), "Weather?")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["city"] == "Paris"


@pytest.mark.parametrize(
    ("given", "said"),
    [("{not json", "--schema: not valid JSON"), ("/no/such/file.json", "--schema: cannot read /no/such/file.json")],
)
def test_ask_bad_schema_is_one_line_exit_2_nothing_sent(
    openai_fake: OpenAIFake, db: Path, given: str, said: str
) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "--schema", given, "x")
    assert r.exit_code == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and said in lines[0]
    assert openai_fake.requests == []


def test_ask_answer_that_does_not_match_is_exit_1_and_logged(openai_fake: OpenAIFake, db: Path) -> None:
    strict = {"type": "object", "properties": {"temp_c": {"type": "integer", "minimum": 50}}}
    r = run(db, "ask", "-m", "gpt-4o-mini", "--schema", json.dumps(strict), "x")
    assert r.exit_code == 1
    assert "does not match response: temp_c: 21 is less than the minimum of 50" in r.stderr
    [row] = rows(db)
    assert row["status"] == "success"  # the call itself worked and was billed


def test_ask_prompt_cache_sends_the_openai_key(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "--prompt-cache", "5m", "-s", "Policy", "hi")
    assert r.exit_code == 0, r.output
    assert openai_fake.requests[-1].json["prompt_cache_key"].startswith("llmring-")
    bad = run(db, "ask", "-m", "gpt-4o-mini", "--prompt-cache", "10m", "hi")
    assert bad.exit_code == 2 and "prompt_cache" in bad.stderr


def test_ask_usage_shows_cache_writes_reads_and_savings(claude: anthropic_fake.AnthropicFake, db: Path) -> None:
    policy = "Answer in the house style. " * 400
    args = ["ask", "-m", "claude-sonnet-4-6", "--prompt-cache", "1h", "-s", policy, "-u", "Q1"]
    first = run(db, *args)
    assert first.exit_code == 0, first.output
    assert "written to cache, 1h" in first.stderr and "cache writes cost $" in first.stderr
    second = run(db, *args)
    assert second.exit_code == 0, second.output
    assert "(2,741 cached)" in second.stderr and "saved $0.0074 vs uncached" in second.stderr


@pytest.mark.parametrize("model", ["gpt-5-pro", "o1-pro"])
def test_ask_at_a_terminal_waits_for_a_model_that_cannot_stream(
    openai_fake: OpenAIFake, db: Path, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    # `ask` streams at a terminal unless told not to; a model that cannot stream (gpt-5-pro, and
    # the retired o1-pro) is asked for the whole answer instead of being refused.
    monkeypatch.setattr("llmring.cli.output.stdout_is_terminal", lambda: True)
    r = run(db, "ask", "-m", model, "Hello")
    assert r.exit_code == 0, r.output
    assert "Echo: Hello" in r.output
    [sent] = openai_fake.requests
    assert sent.path == "/v1/responses" and "stream" not in sent.json
    [row] = rows(db)
    assert row["status"] == "success" and row["stream"] == 0
