"""SQLite reservations reuse what they last read while no other connection has committed
(issue 16, bench/ledger): the reuse must never admit a call a fresh read would refuse, and a
call it would refuse gets a fresh read first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from llmring.budgets import Budget
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import BudgetExceededError
from tests.db.conftest import Clock
from tests.db.test_store_contract import call

D = Decimal


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SQLiteDatabase, SQLiteDatabase]]:
    """Two stores on one file, as two processes would have."""
    a, b = SQLiteDatabase(tmp_path / "x.db"), SQLiteDatabase(tmp_path / "x.db")
    await a.initialize()
    await b.initialize()
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


def statements(db: SQLiteDatabase) -> list[str]:
    """Start recording the SQL the store's reservation connection runs."""
    seen: list[str] = []
    assert db._budget_conn is not None
    db._budget_conn.set_trace_callback(seen.append)
    return seen


async def test_a_repeated_reservation_is_one_write_without_reading_spend(
    two: tuple[SQLiteDatabase, SQLiteDatabase], clock: Clock
) -> None:
    a, _ = two
    budget = Budget("daily", D("1"))
    await a.reserve_budgets([budget], "c1", D("0.1"))
    sql = statements(a)
    uses = await a.reserve_budgets([budget], "c2", D("0.1"))
    assert (uses[0].spent, uses[0].in_flight) == (D("0"), D("0.1"))
    assert not [s for s in sql if s.lstrip().upper().startswith("SELECT")], sql
    assert sql[0] == "BEGIN IMMEDIATE" and sql[-1] == "COMMIT"
    assert [use.in_flight for use in await a.budget_uses([budget])] == [D("0.2")]


async def test_spend_logged_by_another_process_is_seen_by_the_next_reservation(
    two: tuple[SQLiteDatabase, SQLiteDatabase], clock: Clock
) -> None:
    a, b = two
    budget = Budget("daily", D("1"))
    await a.reserve_budgets([budget], "c1", D("0.1"))
    await b.record_api_calls([call(clock, origin="elsewhere", estimated_cost=D("0.85"))])
    with pytest.raises(BudgetExceededError, match=r"spent \$0\.85, in flight \$0\.10"):
        await a.reserve_budgets([budget], "c2", D("0.1"))
    assert await a.holds_of("c2") == []


async def test_holds_taken_by_another_process_are_seen_by_the_next_reservation(
    two: tuple[SQLiteDatabase, SQLiteDatabase], clock: Clock
) -> None:
    a, b = two
    budget = Budget("daily", D("1"))
    await a.reserve_budgets([budget], "c1", D("0.1"))
    await b.reserve_budgets([budget], "c2", D("0.8"))
    with pytest.raises(BudgetExceededError, match=r"in flight \$0\.90"):
        await a.reserve_budgets([budget], "c3", D("0.2"))


async def test_a_call_the_remembered_figures_refuse_gets_a_fresh_read(
    two: tuple[SQLiteDatabase, SQLiteDatabase], clock: Clock
) -> None:
    a, _ = two
    budget = Budget("daily", D("1"))
    await a.reserve_budgets([budget], "dead", D("0.9"), hold_seconds=60)
    clock.advance(seconds=61)  # the hold expired: no commit says so, only the clock
    uses = await a.reserve_budgets([budget], "next", D("0.5"))
    assert (uses[0].spent, uses[0].in_flight) == (D("0"), D("0"))


async def test_a_new_period_reads_afresh(two: tuple[SQLiteDatabase, SQLiteDatabase], clock: Clock) -> None:
    a, _ = two
    budget = Budget("daily", D("1"))
    await a.record_api_calls([call(clock, estimated_cost=D("0.7"))])
    await a.reserve_budgets([budget], "c1", D("0.2"), hold_seconds=60)
    clock.advance(days=1)
    uses = await a.reserve_budgets([budget], "c2", D("0.9"))
    assert (uses[0].spent, uses[0].in_flight) == (D("0"), D("0"))


def test_a_hold_expires_no_sooner_than_asked_and_at_most_a_second_later() -> None:
    from datetime import UTC, datetime, timedelta

    from llmring._sqlite.budgets import _expiry
    from llmring._sqlite.codec import parse_ts

    start = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
    for micros in (0, 1, 250_000, 999_999, 0, 500_000, 1, 0):
        for hold in (60, 900):
            now = start + timedelta(microseconds=micros)
            expires = parse_ts(_expiry(now, hold))
            assert expires is not None
            assert now + timedelta(seconds=hold) <= expires < now + timedelta(seconds=hold + 1), (micros, hold)
    assert _expiry(start + timedelta(seconds=1, microseconds=5), 60) == "2026-03-10T15:31:02.000000Z"
