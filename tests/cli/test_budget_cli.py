"""``llmring budget set/list/rm`` (issue 16), and ``ask`` refused by a budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring.cli.main import app
from tests.fakes.openai_fake import OpenAIFake


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--sqlite", str(db), *args], env={"COLUMNS": "80"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "budgets.db"


def test_set_list_replace_and_remove(db: Path) -> None:
    r = run(db, "budget", "set", "--daily", "5", "--origin", "my-app", "--warn-at", "80%")
    assert r.exit_code == 0, r.output
    assert r.stdout == "Budget set: my-app daily budget $5.00 (unpriced models: block)\n"
    r = run(db, "budget", "set", "--monthly", "$1,200.50", "--tag", "feature=summarise", "--unpriced", "allow")
    assert r.exit_code == 0, r.output
    r = run(db, "budget", "set", "--daily", "7", "--origin", "my-app")  # replaces the first
    assert r.exit_code == 0, r.output

    r = run(db, "budget", "list", "--json")
    assert r.exit_code == 0, r.output
    listed = json.loads(r.stdout)
    assert [(b["period"], b["origin"], b["tag"], b["limit"], b["unpriced"]) for b in listed] == [
        ("daily", "my-app", None, "7", "block"),
        ("monthly", None, "feature=summarise", "1200.5", "allow"),
    ]
    assert listed[0]["spent"] == listed[0]["in_flight"] == "0"
    assert listed[0]["resets_at"].endswith("T00:00:00+00:00")

    r = run(db, "budget", "list")
    assert r.exit_code == 0, r.output
    assert "my-app (daily)" in r.stdout and "$7.00" in r.stdout and "feature=summarise (monthly)" in r.stdout

    r = run(db, "budget", "rm", "--daily", "--origin", "my-app")
    assert r.exit_code == 0 and r.stdout == "Budget removed: daily budget for my-app\n"
    r = run(db, "budget", "rm", "--daily", "--origin", "my-app")
    assert r.exit_code == 2 and "there is no daily budget for my-app" in r.output
    assert len(json.loads(run(db, "budget", "list", "--json").stdout)) == 1


def test_an_empty_list_says_what_to_run(db: Path) -> None:
    run(db, "budget", "set", "--daily", "1")
    run(db, "budget", "rm", "--daily")
    r = run(db, "budget", "list")
    assert r.exit_code == 0 and "llmring budget set --daily 5" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "--daily", "5", "--weekly", "3"], "exactly one of --daily, --weekly or --monthly"),
        (["set", "--origin", "x"], "exactly one of --daily, --weekly or --monthly"),
        (["set", "--daily", "five"], "is not a number of dollars"),
        (["set", "--daily", "-1"], "positive amount"),
        (["set", "--daily", "5", "--warn-at", "120%"], "between 0% and 100%"),
        (["set", "--daily", "5", "--tag", "feature"], "has no value"),
        (["rm", "--daily", "--weekly"], "exactly one of"),
    ],
)
def test_bad_budgets_are_one_line_exit_2(db: Path, args: list[str], message: str) -> None:
    r = run(db, "budget", *args)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output


def test_ask_past_a_budget_is_refused_with_one_line(openai_fake: OpenAIFake, db: Path) -> None:
    assert run(db, "budget", "set", "--daily", "0.000001").exit_code == 0
    sent = len(openai_fake.requests)
    r = run(db, "ask", "-m", "gpt-4o-mini", "hello")
    assert r.exit_code == 1, r.output
    assert "all calls daily budget $0.000001: spent $0, in flight $0, this call up to $" in r.output
    assert len(openai_fake.requests) == sent
    r = run(db, "calls", "--status", "error", "--json")
    assert [c["error_type"] for c in json.loads(r.stdout)] == ["BudgetExceededError"]
