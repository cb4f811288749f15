"""Tags from the shell (issue 16): ``ask --tag``, ``calls --tag``, ``stats --by tag:KEY`` and ``--by user``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes.openai_fake import OpenAIFake


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tags.db"


def test_ask_tags_are_listed_filtered_and_broken_down(openai_fake: OpenAIFake, db: Path) -> None:
    for prompt, tags in (
        ("one", ["--tag", "feature=summarise", "--tag", "env=prod"]),
        ("two", ["--tag", "feature=summarise"]),
        ("three", ["--tag", "feature=chat"]),
        ("four", []),
    ):
        r = run(db, "ask", "-m", "gpt-4o-mini", *tags, prompt)
        assert r.exit_code == 0, r.output

    r = run(db, "calls", "--tag", "feature=summarise", "--json")
    assert r.exit_code == 0, r.output
    found = json.loads(r.stdout)
    assert [c["tags"] for c in found] == [{"feature": "summarise"}, {"feature": "summarise", "env": "prod"}]
    r = run(db, "calls", "--tag", "feature=summarise", "--tag", "env=prod", "--json")
    assert len(json.loads(r.stdout)) == 1
    r = run(db, "calls", "--tag", "feature=nothing")
    assert r.exit_code == 0 and "--tag 'feature=nothing'" in r.output

    r = run(db, "stats", "--by", "tag:feature", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    counts = {row["key"]: row["calls"] for row in data["breakdown"]}
    assert counts == {"summarise": 2, "chat": 1, "(untagged)": 1}
    assert data["breakdown"][-1]["key"] == "(untagged)"
    assert data["by"] == "tag:feature"

    r = CliRunner().invoke(app, ["--sqlite", str(db), "stats", "--by", "tag:env"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert "Tag env" in r.output and "prod" in r.output and "(untagged)" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80

    r = run(db, "stats", "--by", "user", "--json")
    assert [(row["key"], row["calls"]) for row in json.loads(r.stdout)["breakdown"]] == [("default", 4)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "-m", "gpt-4o-mini", "--tag", "feature", "hi"], "has no value"),
        (["ask", "-m", "gpt-4o-mini", "--tag", "bad key=x", "hi"], "invalid tag key"),
        (["calls", "--tag", "k="], "invalid value for tag"),
        (["stats", "--by", "colour"], "tag:KEY"),
        (["stats", "--by", "tag:no space"], "invalid tag key"),
    ],
)
def test_bad_tags_are_one_line_exit_2(openai_fake: OpenAIFake, db: Path, args: list[str], message: str) -> None:
    r = run(db, *args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output
