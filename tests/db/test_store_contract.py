"""The ``Store`` contract: every backend must pass these tests, written against the protocol only.

Time comes from the ``clock`` fixture (``llmring.schemas.utc_now``); usage totals are checked
against a plain-Python reading of the documented semantics: calls and outcomes count final rows,
tokens, cost and savings sum every row.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from llmring.errors import ConfigurationError, DatabaseError
from llmring.schemas import CallRecord, LLMModel, UsageStats
from llmring.store import Store, UsageBreakdownRow
from tests.db.conftest import Clock, StoreFactory

D = Decimal


def model(provider: str = "openai", name: str = "gpt-4o", **fields: Any) -> LLMModel:
    data: dict[str, Any] = {
        "display_name": name.upper(),
        "dollars_per_million_tokens_input": D("2.5"),
        "dollars_per_million_tokens_output": D("10"),
    }
    data.update(fields)
    return LLMModel(provider=provider, model_name=name, **data)


def call(clock: Clock | None = None, ago: timedelta = timedelta(0), **fields: Any) -> CallRecord:
    data: dict[str, Any] = {
        "origin": "app",
        "id_at_origin": "alice",
        "provider": "openai",
        "model_name": "gpt-4o",
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "estimated_cost": D("0.00045"),
        "response_time_ms": 300,
    }
    if clock is not None:
        data["called_at"] = clock.now - ago
    data.update(fields)
    return CallRecord(**data)


# -- lifecycle -----------------------------------------------------------------------------------


def test_store_satisfies_protocol(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.backend in ("sqlite", "postgres")


async def test_initialize_twice_and_reopen_keep_data(store: Store, store_factory: StoreFactory, clock: Clock) -> None:
    await store.sync_models([model()], ["openai"])
    await store.record_api_call(call(clock))
    await store.initialize()
    again = store_factory()
    await again.initialize()
    try:
        assert await again.count_calls() == 1
        assert [m.key for m in await again.list_models()] == ["openai:gpt-4o"]
        assert (await again.get_usage_stats()).total_calls == 1
    finally:
        await again.close()


async def test_fresh_store_is_empty_and_stats_are_zero(store: Store) -> None:
    assert await store.list_models(active_only=False) == []
    assert await store.count_calls() == 0
    assert await store.list_recent_calls() == []
    stats = await store.get_usage_stats()
    assert stats == UsageStats()
    assert stats.total_cost == 0 and stats.success_rate == 0
    assert await store.usage_breakdown("model") == []


# -- registry ------------------------------------------------------------------------------------


async def test_sync_inserts_updates_retires_and_reactivates(store: Store, clock: Clock) -> None:
    report = await store.sync_models(
        [model(name="gpt-4o"), model(name="gpt-4o-mini"), model("anthropic", "claude")], ["openai", "anthropic"]
    )
    assert report.inserted == ["anthropic:claude", "openai:gpt-4o", "openai:gpt-4o-mini"]
    assert report.updated == report.retired == report.unchanged == []
    assert [m.key for m in await store.list_models()] == [
        "anthropic:claude",
        "openai:gpt-4o",
        "openai:gpt-4o-mini",
    ]

    clock.advance(days=1)
    cheaper = model(name="gpt-4o", dollars_per_million_tokens_input=D("2"))
    report = await store.sync_models([cheaper], ["openai"])
    assert report.updated == ["openai:gpt-4o"]
    assert report.retired == ["openai:gpt-4o-mini"]
    assert report.inserted == report.unchanged == []
    assert [m.key for m in await store.list_models()] == ["anthropic:claude", "openai:gpt-4o"]
    assert [m.key for m in await store.list_models("openai")] == ["openai:gpt-4o"]
    retired = await store.get_model("openai", "gpt-4o-mini")
    assert retired is not None and not retired.is_active
    assert retired.inactive_from == clock.now
    updated = await store.get_model("openai", "gpt-4o")
    assert updated is not None and updated.dollars_per_million_tokens_input == D("2")
    assert updated.updated_at == clock.now and updated.created_at == clock.now - timedelta(days=1)
    everything = await store.list_models(active_only=False)
    assert [m.key for m in everything] == ["anthropic:claude", "openai:gpt-4o", "openai:gpt-4o-mini"]

    report = await store.sync_models([cheaper], ["openai"])
    assert report.unchanged == ["openai:gpt-4o"] and report.updated == report.retired == []

    report = await store.sync_models([cheaper, model(name="gpt-4o-mini")], ["openai"])
    assert report.updated == ["openai:gpt-4o-mini"] and report.inserted == []
    back = await store.get_model("openai", "gpt-4o-mini")
    assert back is not None and back.is_active


async def test_sync_dry_run_reports_and_changes_nothing(store: Store) -> None:
    await store.sync_models([model(name="a"), model(name="b")], ["openai"])
    before = await store.list_models(active_only=False)
    plan = await store.sync_models([model(name="a", max_context=5), model(name="c")], ["openai"], dry_run=True)
    assert plan.dry_run
    assert (plan.inserted, plan.updated, plan.retired) == (["openai:c"], ["openai:a"], ["openai:b"])
    assert await store.list_models(active_only=False) == before


async def test_sync_leaves_providers_outside_the_list_alone(store: Store) -> None:
    await store.sync_models([model("openai", "a"), model("anthropic", "b")], ["openai", "anthropic"])
    report = await store.sync_models([model("openai", "a")], ["openai"])
    assert report.retired == []
    assert [m.key for m in await store.list_models()] == ["anthropic:b", "openai:a"]


async def test_sync_rejects_duplicates_and_changes_nothing(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="openai:a"):
        await store.sync_models([model(name="a"), model(name="a")], ["openai"])
    assert await store.list_models(active_only=False) == []


async def test_prices_round_trip_exactly_zero_stays_zero_and_null_stays_null(store: Store) -> None:
    free = model(
        "ollama",
        "llama3:8b",
        dollars_per_million_tokens_input=D("0"),
        dollars_per_million_tokens_output=D("0.0"),
        dollars_per_million_tokens_cached_input=None,
    )
    odd = model(
        name="odd",
        dollars_per_million_tokens_input=D("0.075"),
        dollars_per_million_tokens_output=D("1E-7"),
        dollars_per_million_tokens_reasoning=D("123456.123456"),
        long_context_threshold_tokens=200_000,
        supports_vision=True,
        supports_streaming=False,
        source="https://example.com",
        as_of="2026-03-01",
    )
    await store.sync_models([free, odd], ["ollama", "openai"])
    got_free = await store.get_model("ollama", "llama3:8b")
    assert got_free is not None
    assert got_free.dollars_per_million_tokens_input == 0
    assert got_free.dollars_per_million_tokens_input is not None
    assert got_free.dollars_per_million_tokens_output == 0
    assert got_free.dollars_per_million_tokens_cached_input is None
    got_odd = await store.get_model("openai", "odd")
    assert got_odd is not None
    assert got_odd.model_dump(exclude={"id", "created_at", "updated_at"}) == odd.model_dump(
        exclude={"id", "created_at", "updated_at"}
    )
    # An equal price written differently is not a change.
    report = await store.sync_models(
        [free, odd.model_copy(update={"dollars_per_million_tokens_input": D("0.0750")})], []
    )
    assert report.updated == [] and len(report.unchanged) == 2


async def test_issue_12_registry_fields_round_trip_and_a_retirement_date_is_kept(store: Store, clock: Clock) -> None:
    sol = model(
        name="gpt-5.6-sol",
        aliases=["gpt-5.6", "gpt-5.6-sol-2026-06-01"],
        dollars_per_million_tokens_cache_write=D("6.25"),
        dollars_per_million_tokens_cache_write_12h=D("12.5"),
        dollars_per_million_tokens_input_audio=D("40"),
        dollars_per_million_tokens_cached_input_audio=D("2.5"),
        price_periods=[{"from": "2026-08-21", "dollars_per_million_tokens_input": "4", "note": "price cut"}],
        successor="gpt-6",
        inactive_from=clock.now + timedelta(days=30),  # announced: active until then
    )
    await store.sync_models([sol], ["openai"])
    got = await store.get_model("openai", "gpt-5.6-sol")
    assert got is not None
    assert got.model_dump(exclude={"id", "created_at", "updated_at"}) == sol.model_dump(
        exclude={"id", "created_at", "updated_at"}
    )
    assert [m.key for m in await store.list_models(active_only=True)] == ["openai:gpt-5.6-sol"]
    report = await store.sync_models([sol.model_copy(update={"inactive_from": clock.now - timedelta(days=1)})], [])
    assert report.retired == ["openai:gpt-5.6-sol"]
    assert await store.list_models(active_only=True) == []


async def test_issue_12_call_fields_round_trip(store: Store, clock: Clock) -> None:
    record = call(
        clock,
        cache_write_tokens=8_000,
        cache_write_12h_tokens=3_000,
        audio_tokens=400,
        cached_audio_tokens=100,
        priced_as="openai:gpt-5.6-sol",
        repriced_from={"estimated_cost": None, "rate_snapshot": {"tier": "unknown-model"}},
    )
    await store.record_api_call(record)
    assert await store.get_call(record.id) == record


async def test_get_model_unknown_is_none(store: Store) -> None:
    assert await store.get_model("openai", "nope") is None


# -- call log: writing and reading ---------------------------------------------------------------


async def test_record_round_trips_every_field(store: Store, clock: Clock) -> None:
    record = CallRecord(
        call_id="call-1",
        attempt=2,
        final=True,
        origin="svc",
        id_at_origin="u1",
        provider="anthropic",
        model_name="claude",
        status="success",
        finish_reason="stop",
        prompt_tokens=1200,
        completion_tokens=300,
        cached_tokens=1000,
        cache_write_5m_tokens=7,
        cache_write_1h_tokens=9,
        reasoning_tokens=50,
        estimated_cost=D("0.001234567891"),
        cost_breakdown={"input": "0.0006", "output": "0.000634567891"},
        rate_snapshot={"input": "3", "output": "15", "threshold": 200000, "cached": None},
        dollars_per_million_tokens_input_used=D("3"),
        dollars_per_million_tokens_output_used=D("15.0"),
        response_time_ms=812,
        time_to_first_token_ms=120,
        stream=True,
        temperature=0.0,
        max_tokens=512,
        tools_used=["search", "fetch"],
        json_mode=True,
        response_format={"type": "json_object"},
        cache_hit=False,
        cache_savings=D("0.000001"),
        request_id="req_123",
        request_metadata={"trace": "abc", "nested": {"n": 1}},
        called_at=datetime(2026, 3, 10, 9, 8, 7, 654321, tzinfo=clock.now.tzinfo),
    )
    assert await store.record_api_call(record) == record.id
    assert await store.get_call(record.id) == record
    assert await store.get_call("missing") is None


async def test_record_api_call_accepts_seed_keywords(store: Store) -> None:
    record_id = await store.record_api_call(
        origin="seed-app",
        id_at_origin="bob",
        provider="openai",
        model_name="gpt-4o-mini",
        prompt_tokens=10,
        completion_tokens=5,
        response_time_ms=250,
        temperature=0.2,
        max_tokens=100,
        top_p=0.9,
        stream=False,
        stop_sequences=["END"],
        system_prompt="be brief",
        tools_used=["calc"],
        json_mode=True,
        response_format={"type": "json_object"},
        seed=7,
        tool_choice="auto",
        parallel_tool_calls=True,
        status="error",
        error_type="RateLimitError",
        error_message="slow down",
    )
    got = await store.get_call(record_id)
    assert got is not None
    assert (got.origin, got.id_at_origin, got.model_name, got.status) == ("seed-app", "bob", "gpt-4o-mini", "error")
    assert (got.prompt_tokens, got.completion_tokens, got.response_time_ms) == (10, 5, 250)
    assert got.error_message == "slow down" and got.tools_used == ["calc"] and got.json_mode
    assert got.request_metadata is not None
    assert got.request_metadata["top_p"] == 0.9 and got.request_metadata["seed"] == 7
    assert got.request_metadata["stop_sequences"] == ["END"]
    assert "be brief" not in str(got.request_metadata)
    assert len(got.request_metadata["system_prompt_sha256"]) == 64


async def test_record_api_call_rejects_unknown_or_invalid_fields(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="colour"):
        await store.record_api_call(provider="openai", model_name="m", colour="red")
    with pytest.raises(ConfigurationError, match="status"):
        await store.record_api_call(provider="openai", model_name="m", status="exploded")
    assert await store.count_calls() == 0


async def test_batch_insert_is_one_transaction(store: Store, clock: Clock) -> None:
    assert await store.record_api_calls([]) == 0
    batch = [call(clock, ago=timedelta(seconds=i)) for i in range(50)]
    assert await store.record_api_calls(batch) == 50
    assert await store.count_calls() == 50
    dup = [call(clock), call(clock), batch[0]]  # the last one reuses an id already stored
    with pytest.raises(DatabaseError):
        await store.record_api_calls(dup)
    assert await store.count_calls() == 50
    assert (await store.get_usage_stats()).total_calls == 50
    await store.record_api_call(call(clock))  # the failed batch left no transaction open
    assert await store.count_calls() == 51


async def test_recent_calls_newest_first_with_filters(store: Store, clock: Clock) -> None:
    rows = [
        call(clock, ago=timedelta(minutes=5), id="a", model_name="gpt-4o"),
        call(clock, ago=timedelta(minutes=4), id="b", provider="ollama", model_name="llama3:8b"),
        call(clock, ago=timedelta(minutes=3), id="c", status="error", error_message="Boom 50%_off"),
        call(clock, ago=timedelta(minutes=2), id="d", origin="other", id_at_origin="zed"),
        call(clock, ago=timedelta(minutes=1), id="e", provider="anthropic", model_name="claude"),
        call(clock, ago=timedelta(minutes=1), id="f", provider="anthropic", model_name="claude"),
    ]
    await store.record_api_calls(rows[:3])
    for row in rows[3:]:
        await store.record_api_call(row)

    async def ids(**kw: Any) -> list[str]:
        return [r.id for r in await store.list_recent_calls(**kw)]

    assert await ids() == ["f", "e", "d", "c", "b", "a"]
    assert await ids(limit=2) == ["f", "e"]
    assert await ids(limit=2, offset=2) == ["d", "c"]
    assert await ids(origin="app") == ["f", "e", "c", "b", "a"]
    assert await ids(origin="other", id_at_origin="zed") == ["d"]
    assert await ids(id_at_origin="alice", provider="anthropic") == ["f", "e"]
    assert await ids(model="anthropic:claude") == ["f", "e"]
    assert await ids(model="claude") == ["f", "e"]
    assert await ids(model="openai:claude") == []
    assert await ids(model="llama3:8b") == ["b"]
    assert await ids(model="ollama:llama3:8b") == ["b"]
    assert await ids(status="error") == ["c"]
    assert await ids(since=clock.now - timedelta(minutes=2)) == ["f", "e", "d"]
    assert await ids(search="CLAUDE") == ["f", "e"]
    assert await ids(search="zed") == ["d"]
    assert await ids(search="boom") == ["c"]
    assert await ids(search="50%_") == ["c"]
    assert await ids(search="%") == ["c"]
    assert await ids(search="llama3:") == ["b"]
    assert [r.id for r in await store.get_recent_calls("app", "alice", 3)] == ["f", "e", "c"]
    assert [r.id for r in await store.get_recent_calls()] == ["f", "e", "d", "c", "b", "a"]


async def test_recent_calls_reject_bad_arguments(store: Store) -> None:
    with pytest.raises(ConfigurationError):
        await store.list_recent_calls(status="exploded")
    with pytest.raises(ConfigurationError):
        await store.list_recent_calls(limit=-1)


async def test_keyset_paging_walks_every_row_once_in_order(store: Store, clock: Clock) -> None:
    # Several rows share a timestamp, so the id must break ties.
    batch = [call(clock, ago=timedelta(seconds=i // 3), id=f"r{i:03d}") for i in range(40)]
    await store.record_api_calls(batch)
    everything = [r.id for r in await store.list_recent_calls(limit=1000)]
    expected = [r.id for r in sorted(batch, key=lambda r: (r.called_at, r.id), reverse=True)]
    assert everything == expected
    seen: list[str] = []
    before = None
    while True:
        page = await store.list_recent_calls(limit=7, before=before)
        if not page:
            break
        seen.extend(r.id for r in page)
        before = (page[-1].called_at, page[-1].id)
    assert seen == expected


# -- usage statistics ----------------------------------------------------------------------------


async def test_stats_totals_rates_and_filters(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(clock, origin="app", id_at_origin="alice", estimated_cost=D("0.001"), response_time_ms=100),
            call(clock, origin="app", id_at_origin="alice", estimated_cost=D("0.002"), response_time_ms=300),
            call(
                clock,
                origin="app",
                id_at_origin="bob",
                status="error",
                estimated_cost=None,
                prompt_tokens=0,
                completion_tokens=0,
                response_time_ms=None,
            ),
            call(
                clock,
                origin="web",
                id_at_origin="alice",
                provider="anthropic",
                model_name="claude",
                estimated_cost=D("0.0105"),
                status="timeout",
                response_time_ms=500,
            ),
        ]
    )
    stats = await store.get_usage_stats()
    assert stats.total_calls == 4
    assert stats.total_tokens == 360 and stats.total_prompt_tokens == 300 and stats.total_completion_tokens == 60
    assert stats.total_cost == D("0.0135")
    assert stats.avg_cost_per_call == D("0.003375")
    assert stats.success_rate == D("0.5")
    assert (stats.error_count, stats.timeout_count, stats.rate_limited_count) == (1, 1, 0)
    assert stats.avg_response_time_ms == pytest.approx(300.0)
    assert stats.most_used_model == "openai:gpt-4o"

    app = await store.get_usage_stats(origin="app")
    assert (app.total_calls, app.total_cost, app.success_rate) == (3, D("0.003"), D(2) / D(3))
    alice = await store.get_usage_stats(origin="app", id_at_origin="alice")
    assert (alice.total_calls, alice.success_rate, alice.error_count) == (2, 1, 0)
    everyone_alice = await store.get_usage_stats(id_at_origin="alice")
    assert everyone_alice.total_calls == 3
    assert (await store.get_usage_stats(origin="nobody")) == UsageStats()


async def test_stats_seed_positional_signature(store: Store, clock: Clock) -> None:
    await store.record_api_call(call(clock, origin="o", id_at_origin="u"))
    assert (await store.get_usage_stats("o", "u", 30)).total_calls == 1


async def test_retry_attempts_are_not_calls_but_their_spend_counts(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(
                clock,
                call_id="x",
                attempt=1,
                final=False,
                status="rate_limited",
                estimated_cost=None,
                prompt_tokens=0,
                completion_tokens=0,
                response_time_ms=50,
            ),
            call(
                clock,
                call_id="x",
                attempt=2,
                final=False,
                status="error",
                estimated_cost=D("0.0001"),
                prompt_tokens=40,
                completion_tokens=2,
                response_time_ms=70,
            ),
            call(
                clock,
                call_id="x",
                attempt=3,
                final=True,
                status="success",
                estimated_cost=D("0.0004"),
                prompt_tokens=100,
                completion_tokens=20,
                response_time_ms=300,
            ),
        ]
    )
    stats = await store.get_usage_stats()
    assert stats.total_calls == 1
    assert stats.success_rate == 1
    assert stats.rate_limited_count == stats.error_count == 0
    assert stats.avg_response_time_ms == 300
    assert stats.total_cost == D("0.0005")
    assert stats.total_tokens == 162
    assert await store.count_calls() == 3
    [row] = await store.usage_breakdown("model")
    assert (row.calls, row.errors, row.cost) == (1, 0, D("0.0005"))


async def test_unpriced_cache_hits_and_savings(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(clock, estimated_cost=None),  # unpriced success
            call(clock, estimated_cost=None, status="error"),  # an error is not "unpriced"
            call(clock, estimated_cost=D("0"), cache_hit=True, cache_savings=D("0.0002")),
            call(clock, estimated_cost=D("0"), cache_hit=True, cache_savings=D("0.0003")),
        ]
    )
    stats = await store.get_usage_stats()
    assert stats.unpriced_calls == 1
    assert stats.cache_hits == 2 and stats.cache_hit_rate == D("0.5")
    assert stats.cache_savings == D("0.0005")
    assert stats.total_cost == 0


async def test_days_window_follows_the_clock(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(clock, ago=timedelta(hours=1), estimated_cost=D("1")),
            call(clock, ago=timedelta(days=1, hours=1), estimated_cost=D("2")),
            call(clock, ago=timedelta(days=7, minutes=-1), estimated_cost=D("4")),
            call(clock, ago=timedelta(days=7, minutes=1), estimated_cost=D("8")),
            call(clock, ago=timedelta(days=400), estimated_cost=D("16")),
        ]
    )

    async def cost(days: int | None) -> Decimal:
        return (await store.get_usage_stats(days=days)).total_cost

    assert await cost(1) == 1
    assert await cost(2) == 3
    assert await cost(7) == 7
    assert await cost(8) == 15
    assert await cost(30) == 15
    assert await cost(None) == 31
    assert await cost(0) == 0
    clock.advance(days=1)
    assert await cost(1) == 0
    assert await cost(2) == 1
    with pytest.raises(ConfigurationError):
        await store.get_usage_stats(days=-1)
    with pytest.raises(ConfigurationError):
        await store.usage_breakdown("day", days=-3)


async def test_breakdowns(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(clock, ago=timedelta(days=1), origin="a", estimated_cost=D("0.5")),
            call(clock, origin="a", estimated_cost=D("0.25"), status="error"),
            call(clock, origin="b", provider="anthropic", model_name="claude", estimated_cost=D("2")),
            call(clock, origin="b", provider="anthropic", model_name="claude", estimated_cost=D("1"), cache_hit=True),
        ]
    )
    by_model = await store.usage_breakdown("model")
    assert [(r.key, r.calls, r.cost, r.errors, r.cache_hits) for r in by_model] == [
        ("anthropic:claude", 2, D("3"), 0, 1),
        ("openai:gpt-4o", 2, D("0.75"), 1, 0),
    ]
    assert by_model[0].tokens == 240 and by_model[0].prompt_tokens == 200
    assert [(r.key, r.calls) for r in await store.usage_breakdown("provider")] == [("anthropic", 2), ("openai", 2)]
    assert [(r.key, r.cost) for r in await store.usage_breakdown("origin")] == [("b", D("3")), ("a", D("0.75"))]
    by_day = await store.usage_breakdown("day")
    assert [(r.key, r.calls) for r in by_day] == [("2026-03-09", 1), ("2026-03-10", 3)]
    assert [r.key for r in await store.usage_breakdown("day", origin="b")] == ["2026-03-10"]
    assert [r.key for r in await store.usage_breakdown("model", id_at_origin="nobody")] == []
    with pytest.raises(ConfigurationError):
        await store.usage_breakdown("colour")  # type: ignore[arg-type]


async def test_breakdowns_count_unpriced_calls_and_never_show_them_as_free(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(clock, model_name="gpt-new", estimated_cost=None),
            call(clock, model_name="gpt-new", estimated_cost=None),
            call(clock, model_name="gpt-4o", estimated_cost=D("0.5")),
            call(clock, model_name="gpt-4o", estimated_cost=None),
        ]
    )
    rows = {r.key: r for r in await store.usage_breakdown("model")}
    assert rows["openai:gpt-new"].unpriced_calls == 2 and rows["openai:gpt-new"].cost == 0
    assert rows["openai:gpt-new"].cost_label(str) == "unpriced"
    assert rows["openai:gpt-4o"].unpriced_calls == 1
    assert rows["openai:gpt-4o"].cost_label(lambda d: f"${d}") == "$0.5 +1 unpriced"


# -- usage against an independent reading of the rules, on random data ---------------------------


def _in_window(
    rows: Iterable[CallRecord], since: datetime | None, origin: str | None, user: str | None
) -> list[CallRecord]:
    return [
        r
        for r in rows
        if (since is None or r.called_at >= since)
        and (origin is None or r.origin == origin)
        and (user is None or r.id_at_origin == user)
    ]


def _money(rows: Iterable[CallRecord], field: str = "estimated_cost") -> Decimal:
    return sum((getattr(r, field) or D(0) for r in rows), D(0))


def expected_stats(rows: list[CallRecord]) -> UsageStats:
    finals = [r for r in rows if r.final]
    calls = len(finals)
    cost = _money(rows)
    timed = [r.response_time_ms for r in finals if r.response_time_ms is not None]
    per_model: dict[str, int] = defaultdict(int)
    for r in finals:
        per_model[f"{r.provider}:{r.model_name}"] += 1
    most = min(per_model, key=lambda k: (-per_model[k], k)) if per_model else None

    def rate(n: int) -> Decimal:
        return D(n) / D(calls) if calls else D(0)

    return UsageStats(
        total_calls=calls,
        total_tokens=sum(r.total_tokens for r in rows),
        total_cost=cost,
        avg_cost_per_call=(cost / calls).quantize(D("1e-12"), ROUND_HALF_EVEN) if calls else D(0),
        success_rate=rate(sum(r.status == "success" for r in finals)),
        most_used_model=most,
        avg_response_time_ms=sum(timed) / len(timed) if timed else None,
        total_prompt_tokens=sum(r.prompt_tokens for r in rows),
        total_completion_tokens=sum(r.completion_tokens for r in rows),
        error_count=sum(r.status == "error" for r in finals),
        timeout_count=sum(r.status == "timeout" for r in finals),
        rate_limited_count=sum(r.status == "rate_limited" for r in finals),
        unpriced_calls=sum(r.unpriced for r in finals),
        cache_hits=sum(r.cache_hit for r in finals),
        cache_hit_rate=rate(sum(r.cache_hit for r in finals)),
        cache_savings=_money(rows, "cache_savings"),
    )


_KEY: dict[str, Callable[[CallRecord], str]] = {
    "model": lambda r: f"{r.provider}:{r.model_name}",
    "provider": lambda r: r.provider,
    "origin": lambda r: r.origin,
    "day": lambda r: r.called_at.date().isoformat(),
    "alias": lambda r: r.alias or "(no alias)",
}


def expected_breakdown(by: str, rows: list[CallRecord]) -> list[UsageBreakdownRow]:
    groups: dict[str, list[CallRecord]] = defaultdict(list)
    for r in rows:
        groups[_KEY[by](r)].append(r)
    result = []
    for key, members in groups.items():
        finals = [r for r in members if r.final]
        timed = [r.response_time_ms for r in finals if r.response_time_ms is not None]
        result.append(
            UsageBreakdownRow(
                key=key,
                calls=len(finals),
                tokens=sum(r.total_tokens for r in members),
                prompt_tokens=sum(r.prompt_tokens for r in members),
                completion_tokens=sum(r.completion_tokens for r in members),
                cost=_money(members),
                errors=sum(r.status != "success" for r in finals),
                cache_hits=sum(r.cache_hit for r in finals),
                avg_response_time_ms=sum(timed) / len(timed) if timed else None,
                unpriced_calls=sum(r.unpriced for r in finals),
            )
        )
    if by == "day":
        return sorted(result, key=lambda r: r.key)
    return sorted(result, key=lambda r: (-r.cost, -r.calls, r.key))


def random_calls(clock: Clock, count: int, seed: int) -> list[CallRecord]:
    rng = random.Random(seed)
    models = [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"), ("anthropic", "claude"), ("ollama", "llama3:8b")]
    rows = []
    for i in range(count):
        provider, name = rng.choice(models)
        final = rng.random() > 0.2
        cache_hit = final and rng.random() < 0.1
        rows.append(
            call(
                clock,
                ago=timedelta(seconds=rng.randint(-3600, 9 * 86400)),
                id=f"row-{seed}-{i:04d}",
                origin=rng.choice(["app", "web"]),
                id_at_origin=rng.choice(["alice", "bob", "carol"]),
                provider=provider,
                model_name=name,
                final=final,
                status=rng.choice(["success", "success", "success", "error", "timeout", "rate_limited"]),
                prompt_tokens=rng.randint(0, 5000),
                completion_tokens=rng.randint(0, 800),
                estimated_cost=None if rng.random() < 0.2 else D(rng.randint(0, 10**7)) / D(10**9),
                cache_hit=cache_hit,
                cache_savings=D(rng.randint(1, 10**6)) / D(10**9) if cache_hit else None,
                response_time_ms=None if rng.random() < 0.15 else rng.randint(10, 5000),
                **_hop(rng),
            )
        )
    return rows


def _hop(rng: random.Random) -> dict[str, Any]:
    """An alias and hop for about half the rows (issue 15: the alias breakdown scans the log)."""
    alias = rng.choice([None, "fast", "smart"])
    return {} if alias is None else {"alias": alias, "hop": rng.randint(1, 3)}


async def test_usage_equals_an_independent_scan_of_random_rows(store: Store, clock: Clock) -> None:
    rows = random_calls(clock, 400, seed=11)
    # Mixed write paths: batches of different sizes and single rows, so rollup rows merge.
    await store.record_api_calls(rows[:150])
    for row in rows[150:170]:
        await store.record_api_call(row)
    await store.record_api_calls(rows[170:])
    for days in (None, 0, 1, 2, 3, 7, 30):
        since = None if days is None else clock.now - timedelta(days=days)
        for origin, user in ((None, None), ("app", None), ("web", "bob"), (None, "carol")):
            window = _in_window(rows, since, origin, user)
            got = await store.get_usage_stats(origin, user, days)
            want = expected_stats(window)
            assert got.avg_response_time_ms == pytest.approx(want.avg_response_time_ms)
            assert got.model_copy(update={"avg_response_time_ms": None}) == want.model_copy(
                update={"avg_response_time_ms": None}
            ), (days, origin, user)
            for by in ("model", "provider", "origin", "day", "alias"):
                got_rows = await store.usage_breakdown(by, origin, user, days)
                want_rows = expected_breakdown(by, window)
                assert [r.model_dump(exclude={"avg_response_time_ms"}) for r in got_rows] == [
                    r.model_dump(exclude={"avg_response_time_ms"}) for r in want_rows
                ], (by, days, origin, user)
                assert [r.avg_response_time_ms for r in got_rows] == pytest.approx(
                    [r.avg_response_time_ms for r in want_rows]
                )


# -- response cache ------------------------------------------------------------------------------


async def test_cache_set_get_expire_and_purge(store: Store, clock: Clock) -> None:
    assert await store.cache_get("k") is None
    await store.cache_set("k", {"content": "hi", "usage": {"cost": D("0.5")}, "n": [1, 2]}, ttl_seconds=60)
    assert await store.cache_get("k") == {"content": "hi", "usage": {"cost": "0.5"}, "n": [1, 2]}
    await store.cache_set("k", {"content": "again"}, ttl_seconds=60)
    assert await store.cache_get("k") == {"content": "again"}
    await store.cache_set("short", {"v": 1}, ttl_seconds=10)
    clock.advance(seconds=9)
    assert await store.cache_get("short") == {"v": 1}
    clock.advance(seconds=1)
    assert await store.cache_get("short") is None
    assert await store.cache_get("k") == {"content": "again"}
    assert await store.cache_purge_expired() == 1
    assert await store.cache_purge_expired() == 0
    clock.advance(seconds=60)
    assert await store.cache_get("k") is None
    assert await store.cache_purge_expired() == 1


async def test_cache_rejects_bad_ttl(store: Store) -> None:
    for ttl in (0, -5):
        with pytest.raises(ConfigurationError):
            await store.cache_set("k", {}, ttl_seconds=ttl)
