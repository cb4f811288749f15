"""``llmring ask`` / ``analyze-image`` / ``analyze-file`` against the local OpenAI fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import rows


def run(db: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args], input=stdin)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_ask_prints_the_answer_and_logs_it(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "Name a river")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: Name a river\n"
    [row] = rows(db)
    assert (row["origin"], row["status"], row["model_name"]) == ("llmring-cli", "success", "gpt-4o-mini")


def test_ask_appends_piped_stdin(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "Summarise:", stdin="line one\nline two\n")
    assert r.exit_code == 0, r.output
    sent = openai_fake.requests[-1].json["messages"][-1]["content"]
    assert sent == "Summarise:\n\nline one\nline two"


def test_ask_stdin_only_and_system_prompt(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "-s", "Be brief", "-t", "0.5", "--max-tokens", "40", stdin="just stdin")
    assert r.exit_code == 0, r.output
    body = openai_fake.requests[-1].json
    assert body["messages"][0] == {"role": "system", "content": "Be brief"}
    assert body["temperature"] == 0.5 and body["max_completion_tokens"] == 40


def test_ask_json_is_the_whole_response(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "--json", "hi")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["content"] == "Echo: hi" and data["provider"] == "openai"
    assert data["usage"]["total_tokens"] > 0 and float(data["usage"]["cost"]) > 0
    assert data["metadata"]["call_id"]


def test_ask_usage_goes_to_stderr(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "-u", "hi")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: hi\n"
    assert r.stderr.startswith("Tokens: ") and "Cost: $0.0000" in r.stderr


def test_ask_unpriced_usage(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "o1-preview", "-u", "hi")
    assert r.exit_code == 0, r.output
    assert "Cost: unpriced" in r.stderr


def test_ask_streams_to_a_terminal(openai_fake: OpenAIFake, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("llmring.cli.output.stdout_is_terminal", lambda: True)
    r = run(db, "ask", "-m", "gpt-4o-mini", "-u", "stream it")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: stream it\n"
    assert openai_fake.requests[-1].json["stream"] is True
    assert "Cost: $" in r.stderr
    assert rows(db)[0]["stream"] == 1


def test_ask_no_log_writes_nothing(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "--no-log", "hi")
    assert r.exit_code == 0, r.output
    assert not db.exists()


def test_ask_cache(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "--cache", "--ttl", "60", "hi").exit_code == 0
    again = run(db, "ask", "-m", "gpt-4o-mini", "--cache", "-u", "hi")
    assert again.exit_code == 0, again.output
    assert "(from cache)" in again.stderr
    assert len(openai_fake.requests) == 1
    assert openai_fake.requests[0].json["temperature"] == 0
    bad = run(db, "ask", "-m", "gpt-4o-mini", "--cache", "-t", "0.7", "hi")
    assert bad.exit_code == 2 and "--cache needs" in bad.stderr


def test_missing_key_is_one_line_exit_2(openai_fake: OpenAIFake, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    r = run(db, "ask", "-m", "gpt-4o-mini", "hi")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.strip().count("\n") == 0 and "OPENAI_API_KEY" in r.stderr


def test_unknown_model_is_one_line_exit_1(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt4o-mini", "hi")
    assert r.exit_code == 1
    assert r.stderr.strip().count("\n") == 0 and "did you mean" in r.stderr
    assert openai_fake.requests == []


@pytest.mark.parametrize("args", [["ask", "-m", "gpt-4o-mini"], ["ask", "-m", "gpt-4o-mini", "   "], ["ask", "hi"]])
def test_empty_prompt_or_no_model_is_exit_2(openai_fake: OpenAIFake, db: Path, args: list[str]) -> None:
    r = run(db, *args, stdin="")
    assert r.exit_code == 2
    assert "empty prompt" in r.stderr or "no model" in r.stderr


def test_provider_error_is_exit_1(openai_fake: OpenAIFake, db: Path) -> None:
    openai_fake.api_key = "sk-some-other-key-0000000000"
    r = run(db, "ask", "-m", "gpt-4o-mini", "hi")
    assert r.exit_code == 1 and "Incorrect API key" in r.stderr
    assert rows(db)[0]["status"] == "error"


def test_analyze_image(openai_fake: OpenAIFake, db: Path, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    r = run(db, "analyze-image", str(image), "What is it?", "-m", "gpt-4o-mini")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: What is it? [images=1]\n"


def test_analyze_file_text_and_errors(openai_fake: OpenAIFake, db: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Title\n")
    r = run(db, "analyze-file", str(notes), "Summarise", "-m", "gpt-4o-mini", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["content"].startswith("Echo: Summarise")
    missing = run(db, "analyze-file", str(tmp_path / "nope.pdf"), "x", "-m", "gpt-4o-mini")
    assert missing.exit_code == 1 and "file not found" in missing.stderr
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    bad = run(db, "analyze-image", str(fake), "x", "-m", "gpt-4o-mini")
    assert bad.exit_code == 1 and "not a PNG/JPEG/GIF/WebP" in bad.stderr


# -- issue 14: request controls ----------------------------------------------------------------
def test_ask_cache_on_o4_mini_is_refused_in_one_line_with_nothing_sent(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "o4-mini", "--cache", "x")
    assert r.exit_code != 0
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "takes no temperature, so its answers are not deterministic" in lines[0]
    assert "400" not in r.stderr
    assert openai_fake.requests == [] and rows(db) == []


@pytest.mark.parametrize(("given", "sent"), [("low", "low"), ("high", "high")])
def test_ask_reasoning_reaches_the_wire_and_the_row(openai_fake: OpenAIFake, db: Path, given: str, sent: str) -> None:
    r = run(db, "ask", "-m", "gpt-5-mini", "--reasoning", given, "hi")
    assert r.exit_code == 0, r.output
    assert openai_fake.requests[-1].json["reasoning_effort"] == sent
    assert rows(db)[0]["reasoning"] == sent


def test_ask_reasoning_level_the_model_refuses_names_the_levels(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-5-mini", "-r", "max", "hi")
    assert r.exit_code != 0
    assert "does not accept reasoning 'max': it accepts minimal, low, medium, high" in r.stderr
    assert openai_fake.requests == [] and rows(db) == []


def test_ask_reasoning_budget_digits_are_a_budget(openai_fake: OpenAIFake, db: Path) -> None:
    # gpt-5-mini takes levels only: a budget is refused, naming the levels.
    r = run(db, "ask", "-m", "gpt-5-mini", "-r", "2048", "hi")
    assert r.exit_code != 0 and "reasoning budget 2048" in r.stderr


def content_pieces(db: Path) -> set[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT kind, text FROM llm_content").fetchall())


def test_ask_logs_the_prompt_and_answer_unless_told_not_to(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "-s", "Be brief", "Name a river")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: Name a river\n"  # the answer, and nothing new
    assert content_pieces(db) == {("system", "Be brief"), ("user", "Name a river"), ("response", "Echo: Name a river")}
    r = run(db, "ask", "-m", "gpt-4o-mini", "--no-log-content", "Name a mountain")
    assert r.exit_code == 0, r.output
    assert len(rows(db)) == 2
    assert [text for _, text in content_pieces(db) if "mountain" in text] == []


def test_the_config_can_turn_content_logging_off(openai_fake: OpenAIFake, db: Path) -> None:
    r = CliRunner().invoke(
        app, ["--sqlite", str(db), "ask", "-m", "gpt-4o-mini", "Name a glacier"], env={"LLMRING_LOG_CONTENT": "false"}
    )
    assert r.exit_code == 0, r.output
    assert len(rows(db)) == 1 and content_pieces(db) == set()


UNPRICED_LINE = "openai:o1-preview is not in the registry: cost not counted; `llmring registry update` may know it\n"


def test_ask_says_when_the_model_has_no_price(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "o1-preview", "hi")  # the fake serves it; the registry does not know it
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: hi\n"
    assert r.stderr == UNPRICED_LINE
    priced = run(db, "ask", "-m", "gpt-4o-mini", "hi")
    assert priced.exit_code == 0 and priced.stderr == ""


def test_ask_streaming_says_when_the_model_has_no_price(
    openai_fake: OpenAIFake, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("llmring.cli.output.stdout_is_terminal", lambda: True)
    r = run(db, "ask", "-m", "o1-preview", "stream it")
    assert r.exit_code == 0, r.output
    assert r.stderr == UNPRICED_LINE


def test_ask_strict_cost_refuses_before_sending(
    openai_fake: OpenAIFake, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMRING_STRICT_COST", "1")
    r = run(db, "ask", "-m", "gpt-9-turbo", "hi")
    assert r.exit_code == 2, r.output
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1
    assert "openai:gpt-9-turbo is not in the registry: refused before sending (strict_cost)" in r.stderr
    assert openai_fake.requests == []
