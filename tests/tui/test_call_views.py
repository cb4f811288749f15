"""The calls mode's view models: billed tokens as ``cost.py`` splits them, one money vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from llmring.cost import billed_tokens
from llmring.schemas import CallRecord
from llmring_tui.call_views import call_details, call_row


def test_cost_lines_never_show_negative_tokens() -> None:
    # A provider reported more reasoning tokens than completion tokens; the bill clamps them
    # (cost.py), and the details must show the same split, not "-3 output tokens".
    record = CallRecord(
        provider="openai",
        model_name="o3",
        prompt_tokens=10,
        completion_tokens=5,
        reasoning_tokens=8,
        estimated_cost=Decimal("0.0001"),
        cost_breakdown={"input": "0.00001", "reasoning": "0.00005", "output": "0.00004"},
    )
    lines = {line.component: line.tokens for line in call_details(record, UTC).cost_lines}
    assert lines == {"Input": 10, "Reasoning": 5, "Output": 0}
    assert billed_tokens(record.model_dump(), has_reasoning_rate=True)["output"] == 0


def test_cost_cells_use_the_one_vocabulary() -> None:
    base = {"provider": "openai", "model_name": "gpt-4o-mini", "called_at": datetime(2026, 3, 14, tzinfo=UTC)}
    assert call_row(CallRecord(**base, estimated_cost=Decimal("0.00045")), UTC).cost == "$0.00045"
    assert call_row(CallRecord(**base, cache_hit=True, estimated_cost=Decimal(0)), UTC).cost == "cached"
    assert call_row(CallRecord(**base), UTC).cost == "unpriced"
    assert call_row(CallRecord(**base, status="error"), UTC).cost == "—"


def test_details_say_which_entry_priced_an_alias() -> None:
    base = {"provider": "openai", "estimated_cost": Decimal("0.0035")}
    alias = CallRecord(**base, model_name="gpt-4o-2024-08-06", priced_as="openai:gpt-4o")
    assert ("Priced as", "openai:gpt-4o") in call_details(alias, UTC).summary
    plain = CallRecord(**base, model_name="gpt-4o", priced_as="openai:gpt-4o")
    assert [label for label, _ in call_details(plain, UTC).summary if label == "Priced as"] == []
