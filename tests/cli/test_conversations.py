"""``llmring ask -c`` / ``--cid`` and ``llmring calls --conversation`` (issue 17): the earlier turns
are sent (as the OpenAI fake records them), every turn is logged under one conversation id, and
``-u`` shows the conversation's accumulated cost."""

from __future__ import annotations

import json
import re
from decimal import Decimal
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


def sent_messages(openai_fake: OpenAIFake) -> list[dict[str, object]]:
    return openai_fake.requests[-1].json["messages"]


def test_continue_sends_the_earlier_turns_under_one_conversation(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "-s", "Be brief", "Name a river").exit_code == 0
    r = run(db, "ask", "-c", "How long is it?")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Echo: How long is it?\n"
    assert sent_messages(openai_fake) == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Name a river"},
        {"role": "assistant", "content": "Echo: Name a river"},
        {"role": "user", "content": "How long is it?"},
    ]
    r = run(db, "ask", "-c", "And its source?")
    assert r.exit_code == 0, r.output
    assert [m["content"] for m in sent_messages(openai_fake)] == [
        "Be brief",
        "Name a river",
        "Echo: Name a river",
        "How long is it?",
        "Echo: How long is it?",
        "And its source?",
    ]
    logged = rows(db)
    assert len(logged) == 3
    assert len({row["conversation_id"] for row in logged}) == 1 and logged[0]["conversation_id"]
    assert {row["model_name"] for row in logged} == {"gpt-4o-mini"}  # -c keeps the model


def test_each_plain_ask_starts_a_new_conversation(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "first").exit_code == 0
    assert run(db, "ask", "-m", "gpt-4o-mini", "second").exit_code == 0
    first, second = rows(db)
    assert first["conversation_id"] != second["conversation_id"]
    assert run(db, "ask", "-c", "third").exit_code == 0
    assert [m["content"] for m in sent_messages(openai_fake)] == ["second", "Echo: second", "third"]
    assert rows(db)[-1]["conversation_id"] == second["conversation_id"]


def test_cid_goes_on_with_a_given_conversation_and_usage_adds_its_cost(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "about owls").exit_code == 0
    assert run(db, "ask", "-m", "gpt-4o-mini", "about cats").exit_code == 0
    owls = rows(db)[0]["conversation_id"]
    r = run(db, "ask", "--cid", owls, "-u", "and their eyes?")
    assert r.exit_code == 0, r.output
    assert [m["content"] for m in sent_messages(openai_fake)] == ["about owls", "Echo: about owls", "and their eyes?"]
    logged = rows(db)
    assert logged[-1]["conversation_id"] == owls
    total = sum(Decimal(row["estimated_cost_pico"]) for row in logged if row["conversation_id"] == owls) / 10**12
    line = r.stderr.splitlines()[-1]
    assert line.startswith(f"Conversation {owls}: 2 calls, $") and line.endswith(" so far") and len(line) < 80
    shown = Decimal(re.sub(r"[^0-9.]", "", line.rsplit("$", 1)[1]))
    assert abs(shown - total) < Decimal("0.0001") and total > 0


def test_usage_on_a_new_conversation_says_nothing_new(openai_fake: OpenAIFake, db: Path) -> None:
    r = run(db, "ask", "-m", "gpt-4o-mini", "-u", "hi")
    assert r.exit_code == 0, r.output
    assert "Conversation" not in r.stderr


def test_streamed_continue_sends_the_turns(openai_fake: OpenAIFake, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "one").exit_code == 0
    monkeypatch.setattr("llmring.cli.output.stdout_is_terminal", lambda: True)
    r = run(db, "ask", "-c", "-u", "two")
    assert r.exit_code == 0, r.output
    assert openai_fake.requests[-1].json["stream"] is True
    assert [m["content"] for m in sent_messages(openai_fake)] == ["one", "Echo: one", "two"]
    assert "Conversation " in r.stderr and ": 2 calls" in r.stderr


def test_calls_conversation_lists_its_calls(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "zebra one").exit_code == 0
    assert run(db, "ask", "-c", "zebra two").exit_code == 0
    assert run(db, "ask", "-m", "gpt-4o-mini", "unrelated").exit_code == 0
    cid = rows(db)[0]["conversation_id"]
    r = run(db, "calls", "--conversation", cid, "--json")
    assert r.exit_code == 0, r.output
    listed = json.loads(r.stdout)
    assert len(listed) == 2 and {c["conversation_id"] for c in listed} == {cid}
    r = run(db, "calls", "--conversation", cid, "--content")
    assert r.exit_code == 0, r.output
    assert "zebra two" in r.stdout and "zebra one" in r.stdout and "unrelated" not in r.stdout
    r = run(db, "calls", "--conversation", "no-such-conversation")
    assert r.exit_code == 0, r.output
    assert "No calls match --conversation no-such-conversation (3 calls logged in all" in r.stderr


def test_continue_refusals_are_one_line(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "--no-log-content", "hidden").exit_code == 0
    cases = {
        ("ask", "-c", "again"): "has no logged answer to go on from",
        ("ask", "--cid", "nope", "again"): "no conversation 'nope'",
        ("ask", "-c", "--no-log-content", "again"): "turn content logging on",
    }
    for args, message in cases.items():
        r = run(db, *args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.stderr.splitlines()) == 1 and message in r.stderr, (args, r.stderr)
    r = run(db, "ask", "-c", "again", env={"LLMRING_LOG_CONTENT": "off"})
    assert r.exit_code == 2 and "turn content logging on" in r.stderr
    assert len(openai_fake.requests) == 1  # nothing was sent


def test_continue_with_nothing_logged_yet(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "ask", "-m", "gpt-4o-mini", "--no-log", "unlogged").exit_code == 0
    r = run(db, "init-db")
    assert r.exit_code == 0, r.output
    r = run(db, "ask", "-c", "again")
    assert r.exit_code == 2
    assert r.stderr == 'Error: no conversation to go on with yet: start one with llmring ask "..."\n'
