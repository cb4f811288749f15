"""Fixed, deterministic data for the dashboard tests: a small registry and a call log.

Everything is derived from ``FROZEN_NOW`` and the row index, so ids, timestamps, tokens and
costs are identical on every run (the snapshots depend on it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from llmring.cost import compute_cost
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord, CallStatus, LLMModel, Usage

FROZEN_NOW = datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC)
MARKUP_MODEL = "gpt-[bold]x[/bold]"
MARKUP_ERROR = "upstream said [bold]no[/bold] [red]"


def D(value: str) -> Decimal:
    return Decimal(value)


def sample_models() -> list[LLMModel]:
    """Six models across the four providers, with every kind of price, plus one retired model."""
    common = {"source": "https://example.com/pricing", "as_of": "2026-03-01"}
    return [
        LLMModel(
            provider="openai",
            model_name="gpt-4o",
            display_name="GPT-4o",
            max_context=128000,
            max_output_tokens=16384,
            supports_vision=True,
            supports_function_calling=True,
            supports_json_mode=True,
            supports_parallel_tool_calls=True,
            supports_pdf=True,
            dollars_per_million_tokens_input=D("2.5"),
            dollars_per_million_tokens_output=D("10"),
            dollars_per_million_tokens_cached_input=D("1.25"),
            **common,
        ),
        LLMModel(
            provider="openai",
            model_name="gpt-4o-mini",
            display_name="GPT-4o mini",
            max_context=128000,
            max_output_tokens=16384,
            supports_vision=True,
            supports_function_calling=True,
            supports_json_mode=True,
            dollars_per_million_tokens_input=D("0.15"),
            dollars_per_million_tokens_output=D("0.6"),
            dollars_per_million_tokens_cached_input=D("0.075"),
            **common,
        ),
        LLMModel(
            provider="openai",
            model_name=MARKUP_MODEL,
            display_name="Markup [i]test[/i]",
            max_context=8000,
            max_output_tokens=1000,
            dollars_per_million_tokens_input=D("1"),
            dollars_per_million_tokens_output=D("2"),
            **common,
        ),
        LLMModel(
            provider="anthropic",
            model_name="claude-sonnet-4-5",
            display_name="Claude Sonnet 4.5",
            description="Balanced Claude model.",
            max_context=1000000,
            max_output_tokens=64000,
            supports_vision=True,
            supports_function_calling=True,
            supports_pdf=True,
            is_reasoning=True,
            dollars_per_million_tokens_input=D("3"),
            dollars_per_million_tokens_output=D("15"),
            dollars_per_million_tokens_cached_input=D("0.3"),
            dollars_per_million_tokens_cache_write_5m=D("3.75"),
            dollars_per_million_tokens_cache_write_1h=D("6"),
            long_context_threshold_tokens=200000,
            dollars_per_million_tokens_input_long_context=D("6"),
            dollars_per_million_tokens_output_long_context=D("22.5"),
            **common,
        ),
        LLMModel(
            provider="google",
            model_name="gemini-2.5-pro",
            display_name="Gemini 2.5 Pro",
            max_context=1048576,
            max_output_tokens=65536,
            supports_vision=True,
            supports_function_calling=True,
            supports_json_mode=True,
            supports_pdf=True,
            is_reasoning=True,
            dollars_per_million_tokens_input=D("1.25"),
            dollars_per_million_tokens_output=D("10"),
            dollars_per_million_tokens_cached_input=D("0.31"),
            long_context_threshold_tokens=200000,
            dollars_per_million_tokens_input_long_context=D("2.5"),
            dollars_per_million_tokens_output_long_context=D("15"),
            **common,
        ),
        LLMModel(
            provider="ollama",
            model_name="llama3.2",
            display_name="Llama 3.2",
            max_context=131072,
            max_output_tokens=None,
            supports_function_calling=True,
            dollars_per_million_tokens_input=D("0"),
            dollars_per_million_tokens_output=D("0"),
            source="local",
            as_of="2026-03-01",
        ),
        LLMModel(
            provider="openai",
            model_name="gpt-3.5-turbo",
            display_name="GPT-3.5 Turbo",
            max_context=16385,
            max_output_tokens=4096,
            supports_function_calling=True,
            dollars_per_million_tokens_input=D("0.5"),
            dollars_per_million_tokens_output=D("1.5"),
            **common,
        ),
    ]


RETIRED = "gpt-3.5-turbo"
USED = (
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-sonnet-4-5"),
    ("openai", "gpt-4o"),
    ("google", "gemini-2.5-pro"),
    ("ollama", "llama3.2"),
)
ORIGINS = (("llmring", "default"), ("billing", "alice"), ("chatbot", "bob"))


def _status(i: int) -> CallStatus:
    if i % 11 == 3:
        return "error"
    if i % 13 == 5:
        return "timeout"
    if i % 17 == 7:
        return "rate_limited"
    return "success"


def sample_call(i: int, now: datetime = FROZEN_NOW, spacing: timedelta = timedelta(minutes=113)) -> CallRecord:
    """Call number ``i`` (0 is the newest): a fixed mix of models, origins, outcomes and costs."""
    models = {(m.provider, m.model_name): m for m in sample_models()}
    provider, name = USED[i % len(USED)]
    if i % 19 == 4:
        provider, name = "openai", "gpt-mystery"  # not in the registry: unpriced
    origin, user = ORIGINS[i % len(ORIGINS)]
    status = _status(i)
    called_at = now - spacing * i - timedelta(seconds=30)
    fields: dict[str, object] = {
        "id": f"call-{i:06d}",
        "origin": origin,
        "id_at_origin": user,
        "provider": provider,
        "model_name": name,
        "status": status,
        "called_at": called_at,
        "response_time_ms": 200 + (i * 97) % 2800,
        "temperature": 0.2,
        "max_tokens": 512,
        "request_metadata": {"feature": "test", "index": i},
    }
    if status != "success":
        error_type = {"error": "ProviderUnavailableError", "timeout": "ProviderTimeoutError"}.get(
            status, "RateLimitError"
        )
        message = MARKUP_ERROR if i == 3 else f"{status} from {provider}"
        return CallRecord(**fields, error_type=error_type, error_message=message)  # type: ignore[arg-type]
    usage = Usage(
        prompt_tokens=100 + (i * 37) % 900,
        completion_tokens=20 + (i * 53) % 400,
        cached_tokens=50 if i % 4 == 0 else 0,
        cache_write_5m_tokens=30 if provider == "anthropic" and i % 3 == 0 else 0,
        reasoning_tokens=10 if provider in ("anthropic", "google") else 0,
    )
    tokens = {k: v for k, v in usage.model_dump().items()}
    cache_hit = i % 9 == 0
    result = compute_cost(models.get((provider, name)), usage, provider=provider)
    if cache_hit:
        return CallRecord(
            **fields,
            **tokens,
            cache_hit=True,
            estimated_cost=Decimal(0),
            cache_savings=result.total,  # type: ignore[arg-type]
            finish_reason="stop",
        )
    return CallRecord(
        **fields,  # type: ignore[arg-type]
        **tokens,
        finish_reason="stop",
        estimated_cost=result.total,
        cost_breakdown=result.breakdown or None,
        rate_snapshot=result.rate_snapshot or None,
        dollars_per_million_tokens_input_used=result.input_rate,
        dollars_per_million_tokens_output_used=result.output_rate,
    )


async def seed(store: SQLiteDatabase, *, models: bool = True, calls: int = 0) -> None:
    """Load the sample registry (one model retired) and ``calls`` sample calls into ``store``."""
    await store.initialize()
    if models:
        all_models = sample_models()
        await store.sync_models(all_models, [])
        active = [m for m in all_models if m.model_name != RETIRED]
        await store.sync_models(active, ["openai"])
    if calls:
        await store.record_api_calls([sample_call(i) for i in range(calls)])


async def seed_file(path: Path, *, models: bool = True, calls: int = 0) -> None:
    """``seed`` a new SQLite file at ``path`` and close it."""
    store = SQLiteDatabase(path)
    try:
        await seed(store, models=models, calls=calls)
    finally:
        await store.close()
