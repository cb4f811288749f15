"""``llmring calls show ID`` and ``llmring calls --content`` (issue 17): one call whole, and
a prompt/answer preview column, over calls made through the CLI against the OpenAI fake."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import rows


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args], env=env)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def row_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM llm_api_calls ORDER BY called_at")]


def test_show_prints_the_row_then_the_conversation(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "-s", "Be brief", "Name a river").exit_code == 0
    [call_id] = row_ids(db)
    r = run(db, "calls", "show", call_id[:8])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    [conversation_id] = {row["conversation_id"] for row in rows(db)}
    assert lines[0] == f"Call          {call_id}"
    assert lines[2] == "Model         openai:gpt-4o-mini"
    assert lines[3] == "Status        success"
    assert lines[-11:] == [
        "Origin/User   llmring-cli/default",
        f"Conversation  {conversation_id}",  # every ask starts one (ask -c / --cid go on with it)
        "",
        "--- system ---",
        "Be brief",
        "",
        "--- user ---",
        "Name a river",
        "",
        "--- answer ---",
        "Echo: Name a river",
    ]


def test_show_json_has_the_row_and_its_content(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "Name a lake").exit_code == 0
    [call_id] = row_ids(db)
    r = run(db, "calls", "show", call_id, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["call"]["id"] == call_id and data["call"]["status"] == "success"
    assert data["content"]["messages"] == [{"role": "user", "content": "Name a lake"}]
    assert data["content"]["response"] == "Echo: Name a lake"


def test_show_says_when_nothing_was_captured(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "--no-log-content", "secret plans").exit_code == 0
    [call_id] = row_ids(db)
    r = run(db, "calls", "show", call_id)
    assert r.exit_code == 0, r.output
    assert "were not captured" in r.stdout and "secret plans" not in r.stdout
    assert json.loads(run(db, "calls", "show", call_id, "--json").stdout)["content"] is None


def test_show_bad_ids_are_one_line(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "hi").exit_code == 0
    for given, says in (("ab", "too short"), ("zzzzzzzz", "no call with an id starting 'zzzzzzzz'")):
        r = run(db, "calls", "show", given)
        assert r.exit_code == 2
        assert len(r.stderr.strip().splitlines()) == 1 and says in r.stderr


def test_show_makes_the_answer_inert(openai_fake: OpenAIFake, db: Path) -> None:
    hostile = "title \x1b]0;owned\x07 and clear \x1b[2J done"
    assert run(db, "ask", "-m", "gpt-4o-mini", hostile).exit_code == 0
    r = run(db, "calls", "show", row_ids(db)[0])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "owned" in r.stdout


def test_content_column_previews_prompt_and_answer_in_80_columns(openai_fake: OpenAIFake, db: Path) -> None:
    long_prompt = "Summarise the plot of a very long novel about rivers, mountains and the sea in one line"
    assert run(db, "ask", "-m", "gpt-4o-mini", long_prompt).exit_code == 0
    assert run(db, "ask", "-m", "gpt-4o-mini", "--no-log-content", "private").exit_code == 0
    r = run(db, "calls", "--content", "--format", "table", env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    print(r.stdout)
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    ids = row_ids(db)
    assert any(ids[0][:8] in line and "Summarise the plot" in line for line in lines)
    assert any(ids[1][:8] in line and "(not captured)" in line for line in lines)
    assert "private" not in r.stdout
    data = json.loads(run(db, "calls", "--content", "--json").stdout)
    assert [d["content"] is None for d in data] == [True, False]
    assert data[1]["content"]["response"] == f"Echo: {long_prompt}"


def test_a_whole_call_id_shows_its_final_row_and_lists_its_hops(openai_fake: OpenAIFake, db: Path) -> None:
    # gpt-4.1-nano is unknown to the fake (model not found), so the alias falls back to gpt-4o-mini.
    assert run(db, "aliases", "set", "quick", "openai:gpt-4.1-nano", "openai:gpt-4o-mini").exit_code == 0
    assert run(db, "ask", "-m", "quick", "Name a sea").exit_code == 0
    logged = rows(db)
    [call_id] = {row["call_id"] for row in logged}
    assert len(logged) == 2
    answered = next(row for row in logged if row["status"] == "success")

    shown = run(db, "calls", "show", call_id.upper())
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0] == f"Call          {answered['id']}"
    assert f"Call ID       {call_id}" in shown.stdout.splitlines()
    assert "Echo: Name a sea" in shown.stdout
    assert "Model         openai:gpt-4o-mini (quick #2)" in shown.stdout.splitlines()

    failed = next(row for row in logged if row["status"] != "success")
    hop_one = run(db, "calls", "show", failed["id"]).stdout.splitlines()
    assert "Model         openai:gpt-4.1-nano (quick #1)" in hop_one
    assert any(line.startswith("Status") and line.endswith("(attempt 1, the call went on)") for line in hop_one)

    listed = run(db, "calls", "--call-id", call_id, "--json")
    assert listed.exit_code == 0, listed.output
    assert sorted(r["model_name"] for r in json.loads(listed.stdout)) == ["gpt-4.1-nano", "gpt-4o-mini"]
    other = run(db, "calls", "--call-id", "0" * 36)
    assert other.exit_code == 0 and "No calls match" in other.output
