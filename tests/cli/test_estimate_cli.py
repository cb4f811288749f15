"""``llmring estimate`` (issue 16): tokens and worst-case cost before sending, nothing logged."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes.openai_fake import OpenAIFake


def run(db: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args], input=stdin, env={"COLUMNS": "80"})


def logged(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM llm_api_calls").fetchone()[0])


def test_estimate_prints_counted_tokens_and_costs(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    r = run(db, "estimate", "-m", "gpt-4o-mini", "-s", "Be brief.", "--max-tokens", "100", "Name three rivers")
    assert r.exit_code == 0, r.output
    assert "openai:gpt-4o-mini" in r.stdout
    assert "counted by the provider" in r.stdout and "up to 100 tokens" in r.stdout
    assert "Context" in r.stdout and all(len(line) <= 80 for line in r.stdout.splitlines())
    assert [q.path for q in openai_fake.requests] == ["/v1/responses/input_tokens"]
    assert logged(db) == 0

    r = run(db, "estimate", "-m", "gpt-4o-mini", "--max-tokens", "100", "--json", "Name three rivers")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["counted_by"] == "provider" and data["output_tokens"] == 100
    assert Decimal(data["total_cost"]) == Decimal(data["input_cost"]) + Decimal(data["output_cost"])
    assert openai_fake.contract_problems() == []


def test_estimate_reads_stdin_and_files(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    notes = tmp_path / "notes.txt"
    notes.write_text("The Danube flows through ten countries. " * 40)
    r = run(db, "estimate", "-m", "gpt-4o-mini", "--json", "--file", str(notes), "Summarise")
    assert r.exit_code == 0, r.output
    with_file = json.loads(r.stdout)["input_tokens"]
    r = run(db, "estimate", "-m", "gpt-4o-mini", "--json", stdin="Summarise")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["input_tokens"] < with_file


def test_estimate_needs_a_prompt(tmp_path: Path) -> None:
    r = run(tmp_path / "e.db", "estimate", "-m", "gpt-4o-mini")
    assert r.exit_code == 2
    assert "empty prompt" in r.output


def test_estimate_without_a_key_uses_the_heuristic(tmp_path: Path, monkeypatch: object) -> None:
    r = run(tmp_path / "e.db", "estimate", "-m", "claude-haiku-4-5-20251001", "--max-tokens", "10", "Hello there")
    assert r.exit_code == 0, r.output
    assert "heuristic estimate" in r.stdout and "ANTHROPIC_API_KEY" in r.stdout
