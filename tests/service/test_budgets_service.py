"""Budgets in ``LLMRing`` (issue 16): checked before sending, refusals logged without spend,
unpriced models blocked by default, stored budgets picked up, a warning at the threshold."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from llmring.budgets import Budget
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import BudgetExceededError, ConfigurationError
from llmring.estimate import worst_case
from llmring.registry import find_bundled
from llmring.service import LLMRing
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import request, rows

D = Decimal


def mini_worst_case(max_tokens: int) -> Decimal:
    cost = worst_case(request("Hello", max_tokens=max_tokens), find_bundled("openai", "gpt-4o-mini"), "openai").cost
    assert cost is not None
    return cost


async def test_a_call_past_the_budget_is_refused_unsent_and_logged_without_spend(
    openai_fake: OpenAIFake, db_path: Path
) -> None:
    worst = mini_worst_case(1000)  # about $0.0006
    budget = Budget("daily", worst * 2 + D("0.0000001"), origin="tests")
    async with LLMRingSQLite(db_path, origin="tests", budgets=[budget]) as ring:
        for _ in range(2):
            await ring.chat(request("Hello", max_tokens=1000))
            await ring.flush()  # a call is in flight until its row is written
        spent = (await ring.get_usage_stats()).total_cost
        assert 0 < spent < worst * 2  # the actual cost: far below the worst case
        sent = len(openai_fake.requests)
        # Now spent + this call's worst case passes the limit.
        big = request("Hello " * 400, max_tokens=2000)
        with pytest.raises(BudgetExceededError) as caught:
            await ring.chat(big)
        with pytest.raises(BudgetExceededError):
            async for _ in ring.chat_stream(big):
                pass
        assert len(openai_fake.requests) == sent
        message = str(caught.value)
        assert message.startswith("tests daily budget $0.0012") and "\n" not in message, message
        assert "spent $" in message and "in flight $0," in message and "this call up to $" in message
        assert (await ring.get_usage_stats()).total_cost == spent
    refusals = [r for r in rows(db_path) if r["error_type"] == "BudgetExceededError"]
    assert len(refusals) == 2
    assert all(r["status"] == "error" and r["estimated_cost_pico"] is None and r["final"] for r in refusals)


async def test_calls_outside_the_budgets_scope_are_not_checked(openai_fake: OpenAIFake, db_path: Path) -> None:
    tiny = D("0.000000001")
    budgets = [Budget("daily", tiny, origin="elsewhere"), Budget("daily", tiny, tag=("feature", "x"))]
    async with LLMRingSQLite(db_path, origin="tests", budgets=budgets) as ring:
        await ring.chat(request("Hello"), tags={"feature": "y"})
        with pytest.raises(BudgetExceededError, match="feature=x daily budget"):
            await ring.chat(request("Hello"), tags={"feature": "x"})


async def test_unpriced_models_are_blocked_unless_the_budget_allows_them(
    openai_fake: OpenAIFake, db_path: Path
) -> None:
    block = Budget("daily", D("100"))
    async with LLMRingSQLite(db_path, budgets=[block]) as ring:
        sent = len(openai_fake.requests)
        with pytest.raises(BudgetExceededError, match="blocks unpriced models: openai:o1-preview has no price"):
            await ring.chat(request("Hello", model="openai:o1-preview"))
        assert len(openai_fake.requests) == sent
    allow = Budget("daily", D("100"), unpriced="allow")
    async with LLMRingSQLite(db_path, budgets=[allow]) as ring:
        response = await ring.chat(request("Hello", model="openai:o1-preview"))
        assert response.usage["cost"] is None


async def test_budgets_stored_in_the_ledger_apply_to_every_ring(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with SQLiteDatabase(db_path) as db:
        await db.save_budget(Budget("monthly", D("0.000000001"), user="bob"))
    async with LLMRingSQLite(db_path) as ring:
        await ring.chat(request("Hello"), id_at_origin="alice")
        with pytest.raises(BudgetExceededError, match="user bob monthly budget"):
            await ring.chat(request("Hello"), id_at_origin="bob")


async def test_the_warn_threshold_logs_one_line_once(
    openai_fake: OpenAIFake, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    worst = mini_worst_case(1000)
    budget = Budget("daily", worst * 4, warn_at=0.5)
    async with LLMRingSQLite(db_path, budgets=[budget]) as ring:
        with caplog.at_level(logging.WARNING, logger="llmring"):
            await ring.chat(request("Hello", max_tokens=1000))  # about 25%: quiet
            await ring.flush()  # a call is in flight until its row is written
            assert not [r for r in caplog.records if "used" in r.getMessage()]
            await ring.chat(request("Hello " * 300, max_tokens=2000))  # past 50% with its worst case
            await ring.flush()
            await ring.chat(request("Hello", max_tokens=1000))
    warnings = [r.getMessage() for r in caplog.records if "% used" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith("llmring: all calls daily budget $0.00") and "in flight" in warnings[0]


def test_budgets_need_the_call_log_and_budget_objects(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="budgets need the call log"):
        LLMRing(enable_db_logging=False, budgets=[Budget("daily", D("1"))])
    with pytest.raises(ConfigurationError, match=r"takes llmring\.Budget objects"):
        LLMRing(db_connection_string=f"sqlite:///{tmp_path / 'x.db'}", budgets=[{"daily": 1}])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="positive amount"):
        Budget("daily", D("0"))
    with pytest.raises(ConfigurationError, match="daily, weekly or monthly"):
        Budget("hourly", D("1"))  # type: ignore[arg-type]
