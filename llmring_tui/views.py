"""Plain view models the screens render, and the pure functions that build them from store rows.

Nothing here touches the store or Textual: ``data.py`` fetches, this module shapes, the screens
draw. Every string a user or provider wrote (model names, origins, error messages, metadata) is
carried as plain text; the widgets render it as ``Text`` or escape it, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from llmring_tui import formatting as fmt

if TYPE_CHECKING:
    from llmring.schemas import LLMModel, UsageStats
    from llmring.store import UsageBreakdownRow

# (flag letter, what it means, LLMModel attribute): the "Caps" column of the models table.
CAPABILITY_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("V", "vision", "supports_vision"),
    ("T", "tools", "supports_function_calling"),
    ("J", "JSON mode", "supports_json_mode"),
    ("P", "PDF input", "supports_pdf"),
    ("R", "reasoning", "is_reasoning"),
)


@dataclass(frozen=True)
class LoadError:
    """What went wrong while loading, said for a person: what failed, why, and what to do."""

    title: str
    message: str
    hint: str


def describe_error(exc: BaseException, what: str) -> LoadError:
    """Turn any exception from a loader into a ``LoadError`` (never a traceback)."""
    from llmring.errors import LLMRingError

    message = exc.message if isinstance(exc, LLMRingError) else f"{type(exc).__name__}: {exc}"
    lowered = message.lower()
    if "init-db" in lowered or "no such table" in lowered or "does not exist" in lowered:
        hint = "Run `llmring init-db`, then press r to retry."
    else:
        hint = "Press r to retry."
    return LoadError(title=f"Could not load {what}", message=message, hint=hint)


# -- models ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    """One registry model, with its table cells' raw values and its details pane."""

    key: str
    provider: str
    model_name: str
    display_name: str
    context: int | None
    max_output: int | None
    input_price: Decimal | None
    output_price: Decimal | None
    cached_price: Decimal | None
    flags: str
    active: bool
    details: tuple[tuple[str, str], ...]
    haystack: str

    def matches(self, query: str) -> bool:
        """True if every word of ``query`` occurs in the model's names, provider or capabilities."""
        return all(word in self.haystack for word in query.lower().split())


def capability_flags(model: LLMModel) -> str:
    """``VTJ·R``: one letter per capability, ``·`` where the model lacks it."""
    return "".join(letter if getattr(model, attr) else "·" for letter, _, attr in CAPABILITY_FLAGS)


def model_row(model: LLMModel) -> ModelRow:
    """A ``ModelRow`` with every registry field in its details."""
    capabilities = [name for _, name, attr in CAPABILITY_FLAGS if getattr(model, attr)]
    if model.supports_parallel_tool_calls:
        capabilities.append("parallel tools")
    if model.supports_streaming:
        capabilities.append("streaming")
    if model.supports_temperature:
        capabilities.append("temperature")
    status = "active" if model.is_active else f"retired {fmt.timestamp(model.inactive_from, None)[:10]}"
    threshold = model.long_context_threshold_tokens
    details = (
        ("Model", model.key),
        ("Name", model.display_name or fmt.NONE),
        ("Description", model.description or fmt.NONE),
        ("Status", status),
        ("Context", f"{fmt.count(model.max_context)} tokens" if model.max_context else fmt.NONE),
        ("Max output", f"{fmt.count(model.max_output_tokens)} tokens" if model.max_output_tokens else fmt.NONE),
        ("Capabilities", ", ".join(capabilities) or fmt.NONE),
        ("Tool format", model.tool_call_format or fmt.NONE),
        ("Input $/M", fmt.price(model.dollars_per_million_tokens_input)),
        ("Output $/M", fmt.price(model.dollars_per_million_tokens_output)),
        ("Cached in $/M", fmt.price(model.dollars_per_million_tokens_cached_input)),
        ("Cache write 5m", fmt.price(model.dollars_per_million_tokens_cache_write_5m)),
        ("Cache write 1h", fmt.price(model.dollars_per_million_tokens_cache_write_1h)),
        ("Reasoning $/M", fmt.price(model.dollars_per_million_tokens_reasoning)),
        ("Long context", f"> {fmt.count(threshold)} tokens" if threshold else fmt.NONE),
        ("Long in $/M", fmt.price(model.dollars_per_million_tokens_input_long_context)),
        ("Long out $/M", fmt.price(model.dollars_per_million_tokens_output_long_context)),
        ("Source", model.source or fmt.NONE),
        ("As of", model.as_of or fmt.NONE),
    )
    haystack = " ".join([model.provider, model.model_name, model.key, model.display_name or "", *capabilities]).lower()
    return ModelRow(
        key=model.key,
        provider=model.provider,
        model_name=model.model_name,
        display_name=model.display_name or model.model_name,
        context=model.max_context,
        max_output=model.max_output_tokens,
        input_price=model.dollars_per_million_tokens_input,
        output_price=model.dollars_per_million_tokens_output,
        cached_price=model.dollars_per_million_tokens_cached_input,
        flags=capability_flags(model),
        active=model.is_active,
        details=details,
        haystack=haystack,
    )


@dataclass(frozen=True)
class ModelsView:
    """The registry as loaded: rows ordered by provider then name."""

    rows: tuple[ModelRow, ...]
    include_inactive: bool


# -- stats -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsWindow:
    """A stats time window: the last ``days`` days (rolling, as the store counts), or all time."""

    key: str
    label: str
    days: int | None


STATS_WINDOWS: tuple[StatsWindow, ...] = (
    StatsWindow("today", "Last 24 hours", 1),
    StatsWindow("7d", "Last 7 days", 7),
    StatsWindow("30d", "Last 30 days", 30),
    StatsWindow("all", "All time", None),
)
WINDOWS_BY_KEY = {window.key: window for window in STATS_WINDOWS}


@dataclass(frozen=True)
class BreakdownLine:
    """One row of a breakdown table (by model, provider or origin)."""

    key: str
    calls: int
    tokens: int
    cost: str
    errors: int
    cache_hits: int
    latency: str


@dataclass(frozen=True)
class StatsView:
    """Totals, cost per day and breakdowns for one window."""

    window: StatsWindow
    total_calls: int
    totals: tuple[tuple[str, str], ...]
    cost_per_day: tuple[tuple[date, Decimal], ...]
    by_model: tuple[BreakdownLine, ...]
    by_provider: tuple[BreakdownLine, ...]
    by_origin: tuple[BreakdownLine, ...]
    calls_ever: int = field(default=0)


def stats_totals(stats: UsageStats) -> tuple[tuple[str, str], ...]:
    """The totals cards, in display order."""
    failures = stats.error_count + stats.timeout_count + stats.rate_limited_count
    return (
        ("Calls", fmt.count(stats.total_calls)),
        ("Tokens", fmt.count(stats.total_tokens)),
        ("Cost", fmt.money(stats.total_cost)),
        ("Success rate", fmt.percent(stats.success_rate) if stats.total_calls else fmt.NONE),
        ("Cache hit rate", fmt.percent(stats.cache_hit_rate) if stats.total_calls else fmt.NONE),
        ("Saved by cache", fmt.money(stats.cache_savings)),
        ("Failed calls", fmt.count(failures)),
        ("Unpriced calls", fmt.count(stats.unpriced_calls)),
        ("Avg latency", fmt.latency(stats.avg_response_time_ms)),
    )


def breakdown_lines(rows: list[UsageBreakdownRow]) -> tuple[BreakdownLine, ...]:
    """Breakdown rows as the tables show them (the store's order: by cost, then calls)."""
    return tuple(
        BreakdownLine(
            key=row.key,
            calls=row.calls,
            tokens=row.tokens,
            cost=row.cost_label(fmt.money),
            errors=row.errors,
            cache_hits=row.cache_hits,
            latency=fmt.latency(row.avg_response_time_ms),
        )
        for row in rows
    )


def daily_costs(rows: list[UsageBreakdownRow], first: date | None, last: date) -> tuple[tuple[date, Decimal], ...]:
    """Cost per UTC day from ``first`` (or the first day with calls) to ``last``, zero-filled."""
    by_day = {date.fromisoformat(row.key): row.cost for row in rows}
    if first is None:
        if not by_day:
            return ()
        first = min(by_day)
    last = max([last, *by_day])
    days = (last - first).days + 1
    return tuple((first + timedelta(days=i), by_day.get(first + timedelta(days=i), Decimal(0))) for i in range(days))
