"""What issue 18 found wrong with the CLI's output, each as a behaviour: tables that fit 80 columns
without cutting a number, plain text when piped, empty results that name the filter, read-only
commands that never create a database, one line for an unlogged call, times labelled, clean help."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from llmring import formatting as fmt
from llmring.cli.main import app
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CALL_STATUSES, CallRecord
from llmring.store import BREAKDOWN_KEYS
from tests.fakes.openai_fake import OpenAIFake
from tests.tui.seed import sample_call, sample_models

NOW = datetime.now(UTC).replace(microsecond=0)


def run(*args: str, columns: int | None = None) -> Result:
    env = {"COLUMNS": str(columns)} if columns else None
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """The dashboard's sample registry and 60 calls over the last few days (every kind of cost)."""
    path = tmp_path / "seeded.db"

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.sync_models(sample_models(), [])
            big = CallRecord(
                provider="anthropic",
                model_name="claude-sonnet-4-5",
                prompt_tokens=1_234_567,
                completion_tokens=98_765,
                estimated_cost=Decimal("12345.678901"),
                response_time_ms=123_456,
                called_at=NOW - timedelta(seconds=5),
            )
            await store.record_api_calls([big, *(sample_call(i, now=NOW) for i in range(60))])

    asyncio.run(fill())
    return path


def _calls(db: Path) -> list[CallRecord]:
    data = json.loads(run("--sqlite", str(db), "calls", "-n", "100", "--json").stdout)
    for row in data:
        row.pop("total_tokens"), row.pop("unpriced"), row.pop("unreadable")
    return [CallRecord.model_validate(row) for row in data]


# -- tables at 80 columns --------------------------------------------------------------------------


def test_calls_table_at_80_columns_keeps_every_figure_whole(seeded: Path) -> None:
    r = run("--sqlite", str(seeded), "calls", "-n", "100", "--format", "table", columns=80)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    calls = _calls(seeded)
    assert len(calls) == 61
    for call in calls:
        assert fmt.cost_cell(call) in r.stdout
        assert f"{call.prompt_tokens:,} / {call.completion_tokens:,}" in r.stdout
        assert fmt.latency(call.response_time_ms) in r.stdout
        assert fmt.timestamp(call.called_at)[5:] in r.stdout  # this year's calls: no year on screen
    assert "$12,345.68" in r.stdout and "1,234,567 / 98,765" in r.stdout and "123.46 s" in r.stdout
    assert "not shown at 80 columns: Error, Origin/User" in r.stdout


def test_models_list_at_80_columns_keeps_prices_whole_and_one_line_a_model(seeded: Path) -> None:
    r = run("--sqlite", str(seeded), "models", "list", "--format", "table", columns=80)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for model in ("claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4o-mini"):
        [line] = [line for line in lines if f" {model} " in line]
    assert re.search(r"gpt-4o-mini\s+\$0\.15\s+\$0\.60\s+128,000$", line)
    assert "$0.…" not in r.stdout and "…" not in r.stdout
    wide = run("--sqlite", str(seeded), "models", "list", "--format", "table", columns=140)
    assert "Features" in wide.stdout and "vision, tools, json" in wide.stdout


def test_stats_at_80_columns_keeps_costs_whole(seeded: Path) -> None:
    r = run("--sqlite", str(seeded), "stats", "--format", "table", columns=80)
    assert r.exit_code == 0, r.output
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    data = json.loads(run("--sqlite", str(seeded), "stats", "--json").stdout)
    assert fmt.money(Decimal(data["totals"]["total_cost"])) in r.stdout
    for row in data["breakdown"]:
        assert f"{row['tokens']:,}" in r.stdout
        assert fmt.money(Decimal(row["cost"])) in r.stdout
    assert "$0.000045817647" not in r.stdout  # three significant digits, not twelve


@pytest.mark.parametrize("command", [["calls", "-n", "100"], ["models", "list"], ["stats"]])
def test_piped_output_is_plain(seeded: Path, command: list[str]) -> None:
    r = run("--sqlite", str(seeded), *command)  # CliRunner's stdout is not a terminal
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert all(line == line.rstrip() for line in lines)  # no trailing spaces
    assert not any(ch in r.stdout for ch in "│┃━─┏┗")  # no box drawing
    widths = {len(line) for line in lines if line}
    assert len(widths) > 1  # not every line padded to one width


def test_tsv_is_one_header_and_one_line_per_row(seeded: Path) -> None:
    r = run("--sqlite", str(seeded), "calls", "-n", "5", "--format", "tsv")
    header, *rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert header[:2] == ["Time (UTC)", "Model"] and len(rows) == 5
    assert all(len(row) == len(header) for row in rows)


# -- empty results, missing databases -----------------------------------------------------------------


@pytest.fixture
def four_calls(tmp_path: Path) -> Path:
    path = tmp_path / "four.db"

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.record_api_calls([sample_call(i, now=NOW) for i in (0, 1, 2, 4)])

    asyncio.run(fill())
    return path


def test_an_empty_result_names_the_filter_that_matched_nothing(four_calls: Path) -> None:
    r = run("--sqlite", str(four_calls), "calls", "--status", "timeout")
    assert r.exit_code == 0
    assert r.stderr.strip() == "No calls match --status timeout (4 calls logged in all; drop a filter to see them)."
    r = run("--sqlite", str(four_calls), "calls", "--search", "x y", "--origin", "billing")
    assert r.stderr.strip() == (
        "No calls match --origin billing --search 'x y' (4 calls logged in all; drop a filter to see them)."
    )
    assert json.loads(run("--sqlite", str(four_calls), "calls", "--status", "timeout", "--json").stdout) == []
    r = run("--sqlite", str(four_calls), "stats", "--origin", "nobody")
    assert r.stderr.strip() == "No calls in the last 30 day(s) match --origin nobody (4 calls logged in all)."


@pytest.mark.parametrize("command", [["calls"], ["stats"], ["calls", "--json"]])
def test_read_only_commands_never_create_a_database(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "nonexistent" / "dir" / "x.db"
    r = run("--sqlite", str(typo), *command)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"Error: no database at {typo}: check --sqlite / LLMRING_SQLITE_DB, or run `llmring init-db` to create it"
    ]
    assert not (tmp_path / "nonexistent").exists()


def test_ask_with_a_database_that_cannot_be_written_says_so_in_one_line(
    openai_fake: OpenAIFake, tmp_path: Path
) -> None:
    db = tmp_path / "bad.db"
    db.write_bytes(b"this is not a database" * 100)
    r = run("--sqlite", str(db), "ask", "-m", "gpt-4o-mini", "hi")
    assert r.exit_code == 1
    assert r.stdout == "Echo: hi\n"  # the answer is still printed
    [line] = r.stderr.splitlines()
    assert line.startswith("Error: this call was not logged: SQLite database ") and "not a database" in line


# -- times ---------------------------------------------------------------------------------------------


def test_times_are_utc_and_labelled_unless_local(four_calls: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        utc = run("--sqlite", str(four_calls), "calls", "--format", "tsv")
        local = run("--sqlite", str(four_calls), "calls", "--format", "tsv", "--local")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    newest = sample_call(0, now=NOW).called_at
    assert utc.stdout.splitlines()[0].startswith("Time (UTC)\t")
    assert utc.stdout.splitlines()[1].startswith(newest.strftime("%Y-%m-%d %H:%M:%S"))
    assert local.stdout.splitlines()[0].startswith("Time (IST)\t")
    shifted = newest + timedelta(hours=5, minutes=30)
    assert local.stdout.splitlines()[1].startswith(shifted.strftime("%Y-%m-%d %H:%M:%S"))


# -- help ----------------------------------------------------------------------------------------------

COMMANDS = [
    [],
    ["ask"],
    ["analyze-image"],
    ["analyze-file"],
    ["models"],
    ["models", "list"],
    ["models", "info"],
    ["calls"],
    ["stats"],
    ["budget"],
    ["budget", "set"],
    ["budget", "list"],
    ["budget", "rm"],
    ["tui"],
    ["init-db"],
    ["json-refresh"],
    ["config"],
    ["config", "show"],
    ["config", "path"],
    ["aliases"],
    ["aliases", "list"],
    ["aliases", "set"],
    ["aliases", "rm"],
    ["models", "default"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "llmring")
def test_help_has_plain_metavars_and_whole_summaries(command: list[str]) -> None:
    r = run(*command, "--help", columns=80)
    assert r.exit_code == 0, r.output
    # No <str>, <float range> or {MODEL} where a value goes.
    assert not re.search(r"(--[\w-]+|^\s+[A-Z]+) <[\w ]+>|\{[A-Z]+\}", r.stdout, re.M), r.stdout
    if "Commands:" in r.stdout:
        assert "..." not in r.stdout.split("Commands:")[1]  # summaries whole, not cut mid-sentence


def test_help_lists_commands_in_order_with_completion() -> None:
    r = run("--help", columns=80)
    commands = [line.split()[0] for line in r.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert commands == [
        "ask",
        "analyze-image",
        "analyze-file",
        "estimate",
        "models",
        "aliases",
        "calls",
        "stats",
        "budget",
        "tui",
        "init-db",
        "json-refresh",
        "registry",
        "reprice",
        "config",
    ]
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
    assert "..." not in r.stdout.split("Commands:")[1]


def test_help_choices_are_the_one_vocabulary() -> None:
    calls = run("calls", "--help", columns=200).stdout
    assert ", ".join(CALL_STATUSES[:-1]) + " or " + CALL_STATUSES[-1] in calls
    stats = run("stats", "--help", columns=200).stdout
    assert "[" + "|".join(["model", "provider", "day", "origin", "user", "alias", "tag:KEY"]) + "]" in stats
    assert set(BREAKDOWN_KEYS) == {"model", "provider", "day", "origin", "user", "alias"}
    from llmring.cli.stats import GroupBy

    assert {g.value for g in GroupBy} == set(BREAKDOWN_KEYS)


def test_show_completion_prints_a_script() -> None:
    r = CliRunner().invoke(app, ["--show-completion", "bash"], env={"SHELL": "/bin/bash"})
    assert r.exit_code == 0 and "complete" in r.stdout and "llmring" in r.stdout.lower()
