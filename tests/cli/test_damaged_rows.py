"""A damaged call-log row (unparseable JSON, a cost that is not a number, a time that is not a
time) is shown as damaged by ``llmring calls`` and the dashboard, never as a traceback, and the
other rows are still listed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmring.cli.main import app
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord

NOW = datetime.now(UTC)


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.db"
    records = [
        CallRecord(
            id=f"row-{i}",
            provider="openai",
            model_name="gpt-4o-mini",
            prompt_tokens=10,
            completion_tokens=5,
            estimated_cost=Decimal("0.00045"),
            request_metadata={"i": i},
            called_at=NOW - timedelta(minutes=i),
        )
        for i in range(4)
    ]

    async def fill() -> None:
        async with SQLiteDatabase(path) as store:
            await store.record_api_calls(records)

    asyncio.run(fill())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE llm_api_calls SET request_metadata = '{not json' WHERE id = 'row-1'")
        db.execute("UPDATE llm_api_calls SET estimated_cost_pico = 'lots' WHERE id = 'row-2'")
        db.execute("UPDATE llm_api_calls SET called_at = 'yesterday-ish' WHERE id = 'row-3'")
    return path


def test_calls_lists_damaged_rows_as_damaged(damaged: Path) -> None:
    r = CliRunner().invoke(app, ["--sqlite", str(damaged), "calls", "--format", "tsv"])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 5  # header + all four rows
    assert any("damaged: request_metadata" in line for line in lines)
    assert any("unreadable" in line and "damaged: estimated_cost" in line for line in lines)
    assert any(line.startswith("—\t") and "damaged: called_at" in line for line in lines), lines
    data = json.loads(CliRunner().invoke(app, ["--sqlite", str(damaged), "calls", "--json"]).stdout)
    assert {row["id"]: row["unreadable"] for row in data} == {
        "row-0": [],
        "row-1": ["request_metadata"],
        "row-2": ["estimated_cost"],
        "row-3": ["called_at"],
    }


async def test_dashboard_shows_damaged_rows(damaged: Path) -> None:
    from tests.tui.conftest import make_app, press, screen_text, settle

    store = SQLiteDatabase(damaged)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "damaged" in text and "unreadable" in text
        await press(pilot, "down", "down", "enter")  # row-1 (row-3's unreadable time sorts first)
        assert "request_metadata could not be read" in screen_text(app)
    await store.close()


def test_salvage_names_every_field_it_could_not_read() -> None:
    from llmring._store.salvage import UNKNOWN_TIME, salvage_call

    raw = {
        "provider": "openai",
        "model_name": "gpt-4o",
        "request_metadata": "{nope",
        "prompt_tokens": "many",
        "called_at": "a while ago",
        "status": "success",
    }
    record = salvage_call(raw, [("request_metadata", json.loads)])
    assert set(record.unreadable) == {"request_metadata", "prompt_tokens", "called_at"}
    assert record.request_metadata is None and record.prompt_tokens == 0 and record.called_at == UNKNOWN_TIME
    assert CallRecord(provider="openai", model_name="x").unreadable == ()
