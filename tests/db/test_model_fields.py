"""Every ``LLMModel`` field survives a store, on both backends (issue 14's controls were lost:
the service routes with the store's models, so a field without a column is a feature switched
off for every initialised database). A field added to ``LLMModel`` later fails here until it
has a column, a codec entry and a place in the sync (``MODEL_DATA_FIELDS``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from llmring._store.values import MODEL_CONTROL_FIELDS
from llmring.db import LLMDatabase
from llmring.db_sqlite import SQLiteDatabase
from llmring.registry import bundled_models, bundled_versions
from llmring.schemas import LLMModel
from llmring.store import Store
from tests.db.conftest import StoreFactory
from tests.db.pg_schemas import run_sql

# Not written by a sync: identity, the store's own stamps, and the period a priced_at() copy
# carries (a stored model holds its periods in price_periods).
NOT_STORED = frozenset({"provider", "model_name", "id", "created_at", "updated_at", "price_period"})


def every_field() -> LLMModel:
    """A model with every stored field set away from its default."""
    prices = {name: Decimal(f"{i}.125") for i, name in enumerate(LLMModel.model_fields, 1) if "per_million" in name}
    return LLMModel(
        provider="openai",
        model_name="every-field",
        display_name="Every Field",
        description="All set",
        aliases=["every", "all-fields"],
        max_context=123_456,
        max_output_tokens=4_321,
        supports_vision=True,
        supports_function_calling=True,
        supports_json_mode=True,
        supports_parallel_tool_calls=True,
        supports_pdf=True,
        supports_streaming=False,
        supports_temperature=False,
        supports_structured_output=True,
        is_reasoning=True,
        tool_call_format="openai",
        reasoning_control="budget",
        reasoning_levels=["none", "low", "high"],
        reasoning_budget_min=1_024,
        reasoning_budget_max=32_000,
        prompt_cache_min_tokens=2_048,
        responses_only=True,
        long_context_threshold_tokens=200_000,
        price_periods=[{"from": "2026-06-01", "dollars_per_million_tokens_input": Decimal("0.5"), "note": "cut"}],
        successor="openai:gpt-next",
        note="Why a figure is what it is.",
        source="https://example.test/pricing",
        as_of="2026-03-01",
        inactive_from=datetime(2031, 1, 1, tzinfo=UTC),
        **prices,
    )


def stored_fields(model: LLMModel) -> dict[str, Any]:
    return model.model_dump(exclude=set(NOT_STORED))


def test_the_model_sets_every_stored_field() -> None:
    defaults = LLMModel(provider="openai", model_name="every-field")
    left = [name for name in LLMModel.model_fields if name not in NOT_STORED]
    assert [name for name in left if getattr(every_field(), name) == getattr(defaults, name)] == []


async def test_every_field_round_trips(store: Store) -> None:
    model = every_field()
    report = await store.sync_models([model], ["openai"])
    assert report.inserted == ["openai:every-field"]
    again = await store.get_model("openai", "every-field")
    assert again is not None and stored_fields(again) == stored_fields(model)
    [listed] = await store.list_models("openai", active_only=False)
    assert stored_fields(listed) == stored_fields(model)
    assert (await store.sync_models([model], ["openai"])).unchanged == ["openai:every-field"]


@pytest.mark.parametrize("name", sorted(set(LLMModel.model_fields) - NOT_STORED))
async def test_a_sync_writes_a_change_to_any_field(store: Store, name: str) -> None:
    model = every_field()
    await store.sync_models([model], ["openai"])
    changed = model.model_copy(update={name: getattr(LLMModel(provider="openai", model_name="m"), name)})
    report = await store.sync_models([changed], ["openai"])
    assert report.updated + report.retired == ["openai:every-field"]
    again = await store.get_model("openai", "every-field")
    assert again is not None and stored_fields(again) == stored_fields(changed)


# -- a database initialised before migration 007 ------------------------------------------------

_CONTROL_COLUMNS = (*MODEL_CONTROL_FIELDS, "note")


async def make_pre_007(store_factory: StoreFactory, models: list[LLMModel]) -> None:
    """A database as an llmring without migration 007 left it: ``models`` stored (the bundled
    registry recorded as loaded), no control columns, 007 not recorded."""
    store = store_factory()
    await store.initialize()
    try:
        await store.sync_models(models, [], versions=list(bundled_versions().values()))
        drops = ", ".join(f"DROP COLUMN {column}" for column in _CONTROL_COLUMNS)
        if isinstance(store, SQLiteDatabase):
            conn = await store._db()
            for column in _CONTROL_COLUMNS:  # SQLite drops one column per statement
                await conn.execute(f"ALTER TABLE llm_models DROP COLUMN {column}")
            await conn.execute("DELETE FROM schema_migrations WHERE name = '007_model_controls'")
            await conn.commit()
        else:
            assert isinstance(store, LLMDatabase) and store._dsn is not None
            run_sql(
                store._dsn,
                f'ALTER TABLE "{store.schema}".llm_models {drops}',
                f"DELETE FROM \"{store.schema}\".schema_migrations WHERE filename = '007_model_controls.sql'",
            )
    finally:
        await store.close()


async def test_a_database_from_before_the_controls_gets_them_on_open(store_factory: StoreFactory) -> None:
    bundled = [m for m in bundled_models(include_retired=True, price_history=True) if m.provider != "ollama"]
    # A model the user's own files added (not bundled) keeps what it has.
    mine = LLMModel(provider="openai", model_name="gpt-mine", source="s", as_of="2026-01-01")
    # A bundled model whose price a `registry update --from` changed keeps that price.
    updated = {"dollars_per_million_tokens_input": Decimal("9.75")}
    stored = [m.model_copy(update=updated) if m.key == "openai:gpt-5.5-pro" else m for m in bundled]
    await make_pre_007(store_factory, [*stored, mine])

    store = store_factory()
    await store.initialize()
    try:
        assert "007_model_controls" in (store.applied_migrations or [])
        sonnet = await store.get_model("anthropic", "claude-sonnet-4-6")
        assert sonnet is not None
        assert (sonnet.reasoning_control, sonnet.reasoning_levels) == (
            "adaptive",
            ["none", "low", "medium", "high", "max"],
        )
        assert sonnet.supports_structured_output and sonnet.prompt_cache_min_tokens == 1024
        pro = await store.get_model("openai", "gpt-5.5-pro")
        assert pro is not None and pro.responses_only and pro.reasoning_control == "effort"
        assert pro.dollars_per_million_tokens_input == Decimal("9.75")
        flash = await store.get_model("google", "gemini-2.5-flash-lite")
        assert flash is not None and (flash.reasoning_budget_min, flash.reasoning_budget_max) == (512, 24576)
        # Every bundled model now reads back as the registry has it (but for the changed price).
        by_key = {m.key: m for m in await store.list_models(active_only=False)}
        for model in stored:
            assert stored_fields(by_key[model.key]) == stored_fields(model), model.key
        assert stored_fields(by_key["openai:gpt-mine"]) == stored_fields(mine)
        assert "ollama:llama3.2" not in by_key  # nothing added that was not there
    finally:
        await store.close()
