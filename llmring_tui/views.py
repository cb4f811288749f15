"""Plain view models the screens render, and the pure functions that build them from store rows.

Nothing here touches the store or Textual: ``data.py`` fetches, this module shapes, the screens
draw. Every string a user or provider wrote (model names, origins, error messages, metadata) is
carried as plain text; the widgets render it as ``Text`` or escape it, never as markup.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from llmring import formatting as fmt
from llmring.controls import reasoning_accepted, structured_output

if TYPE_CHECKING:
    from llmring.budgets import BudgetUse
    from llmring.schemas import LLMModel, UsageStats
    from llmring.store import UsageBreakdownRow

NO_CALLS = 'No calls logged yet. Run `llmring ask -m gpt-4o-mini "hello"` and it shows up here.'

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

    message = fmt.inert(exc.message if isinstance(exc, LLMRingError) else f"{type(exc).__name__}: {exc}")
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
    capabilities: str = ""

    def matches(self, query: str) -> bool:
        """True if every word of ``query`` occurs in the model's names, provider or capabilities."""
        return all(word in self.haystack for word in query.lower().split())

    def csv_row(self) -> list[object]:
        """The raw values, in ``MODEL_CSV`` order."""
        return [
            self.provider,
            self.model_name,
            self.display_name,
            self.context,
            self.max_output,
            self.input_price,
            self.output_price,
            self.cached_price,
            self.capabilities,
            self.active,
        ]


MODEL_CSV = (
    "provider",
    "model",
    "name",
    "context",
    "max_output",
    "input_usd_per_million",
    "output_usd_per_million",
    "cached_input_usd_per_million",
    "capabilities",
    "active",
)


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
    cache_min = model.prompt_cache_min_tokens
    details = (
        ("Model", model.key),
        ("Name", model.display_name or fmt.NONE),
        ("Description", model.description or fmt.NONE),
        ("Status", status),
        ("Context", f"{fmt.count(model.max_context)} tokens" if model.max_context else fmt.NONE),
        ("Max output", f"{fmt.count(model.max_output_tokens)} tokens" if model.max_output_tokens else fmt.NONE),
        ("Capabilities", ", ".join(capabilities) or fmt.NONE),
        ("Tool format", model.tool_call_format or fmt.NONE),
        ("Reasoning", reasoning_accepted(model) or fmt.NONE),
        ("Structured out", structured_output(model)),
        ("Responses only", fmt.yes_no(model.responses_only)),
        ("Cache from", f"{fmt.count(cache_min)} tokens" if cache_min else fmt.NONE),
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
        ("Note", model.note or fmt.NONE),
    )
    haystack = " ".join([model.provider, model.model_name, model.key, model.display_name or "", *capabilities]).lower()
    return ModelRow(
        key=fmt.inert(model.key),
        provider=fmt.inert(model.provider),
        model_name=fmt.inert(model.model_name),
        display_name=fmt.inert(model.display_name or model.model_name),
        context=model.max_context,
        max_output=model.max_output_tokens,
        input_price=model.dollars_per_million_tokens_input,
        output_price=model.dollars_per_million_tokens_output,
        cached_price=model.dollars_per_million_tokens_cached_input,
        flags=capability_flags(model),
        active=model.is_active,
        details=tuple((label, fmt.inert(value)) for label, value in details),
        haystack=haystack,
        capabilities=", ".join(capabilities),
    )


@dataclass(frozen=True)
class ModelsView:
    """The registry as loaded: rows ordered by provider then name."""

    rows: tuple[ModelRow, ...]
    include_inactive: bool


# -- stats -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsWindow:
    """A stats window of whole UTC days: today and the ``days - 1`` before it (None: all time).

    Calendar days, not a rolling count of hours, so "Last 7 days" is exactly seven dates, the
    chart has seven bars and the by-day table seven rows.
    """

    key: str
    label: str
    days: int | None

    def first_day(self, today: date) -> date | None:
        """The window's first UTC date (None: all time)."""
        return None if self.days is None else today - timedelta(days=self.days - 1)

    def since(self, today: date) -> datetime | None:
        """The window's start: midnight UTC of its first day (None: all time)."""
        first = self.first_day(today)
        return None if first is None else datetime.combine(first, time(), tzinfo=UTC)


STATS_WINDOWS: tuple[StatsWindow, ...] = (
    StatsWindow("today", "Today (UTC)", 1),
    StatsWindow("7d", "Last 7 days", 7),
    StatsWindow("30d", "Last 30 days", 30),
    StatsWindow("all", "All time", None),
)
WINDOWS_BY_KEY = {window.key: window for window in STATS_WINDOWS}


@dataclass(frozen=True)
class BreakdownLine:
    """One row of a breakdown table (by day, model, provider or origin)."""

    key: str
    calls: int
    tokens: int
    cost: str
    errors: int
    cache_hits: int
    latency: str
    cost_value: Decimal = Decimal(0)
    unpriced_calls: int = 0
    latency_ms: float | None = None

    def cells(self) -> list[str]:
        """Calls, tokens, cost, errors, cache hits and latency as the table shows them."""
        return [
            f"{self.calls:,}",
            f"{self.tokens:,}",
            self.cost,
            f"{self.errors:,}",
            f"{self.cache_hits:,}",
            self.latency,
        ]

    def csv_row(self) -> list[object]:
        """The raw values, in ``BREAKDOWN_CSV`` order."""
        return [
            self.key,
            self.calls,
            self.tokens,
            self.cost_value,
            self.unpriced_calls,
            self.errors,
            self.cache_hits,
            self.latency_ms,
        ]


BREAKDOWN_CSV = ("calls", "tokens", "cost_usd", "unpriced_calls", "errors", "cache_hits", "avg_latency_ms")


@dataclass(frozen=True)
class StatsView:
    """Totals, cost per day and breakdowns for one window."""

    window: StatsWindow
    total_calls: int
    totals: tuple[tuple[str, str], ...]
    cost_per_day: tuple[tuple[date, Decimal], ...]
    by_day: tuple[BreakdownLine, ...]
    by_model: tuple[BreakdownLine, ...]
    by_provider: tuple[BreakdownLine, ...]
    by_origin: tuple[BreakdownLine, ...]
    first_day: date | None = None
    last_day: date | None = None
    calls_ever: int = field(default=0)
    # Issue 16: per user (id_at_origin), per tag (every key's values, then its untagged calls),
    # and where each budget stands now (its own period, not the window's).
    by_user: tuple[BreakdownLine, ...] = ()
    by_tag: tuple[BreakdownLine, ...] = ()
    budgets: tuple[BudgetLine, ...] = ()

    def breakdown(self, key: str) -> tuple[BreakdownLine, ...]:
        """The breakdown lines for ``key`` (day, model, provider, origin, user or tag)."""
        lines: tuple[BreakdownLine, ...] = getattr(self, f"by_{key}")
        return lines

    @property
    def span(self) -> str:
        """``2026-03-08 → 2026-03-14`` (the window's dates), or ``since 2026-01-02`` for all time."""
        if self.first_day is None or self.last_day is None:
            return ""
        if self.first_day == self.last_day:
            return f"{self.first_day:%Y-%m-%d}"
        return f"{self.first_day:%Y-%m-%d} → {self.last_day:%Y-%m-%d}"


@dataclass(frozen=True)
class BudgetLine:
    """One budget as the Budgets tab shows it: scope and period, spent, in flight, limit, used, resets."""

    budget: str
    spent: str
    in_flight: str
    limit: str
    used: str
    resets_in: str

    def cells(self) -> list[str]:
        return [self.spent, self.in_flight, self.limit, self.used, self.resets_in]


BUDGET_COLUMNS = ("Spent", "In flight", "Limit", "Used", "Resets in")
NO_BUDGETS = "No budgets. Set one with `llmring budget set --daily 5 --origin my-app`."


def budget_lines(uses: list[BudgetUse]) -> tuple[BudgetLine, ...]:
    """Budget uses as the Budgets tab shows them."""
    return tuple(
        BudgetLine(
            budget=fmt.inert(f"{use.budget.scope} ({use.budget.period})"),
            spent=fmt.money(use.spent),
            in_flight=fmt.money(use.in_flight),
            limit=fmt.money(use.budget.limit),
            used=fmt.percent(use.used / use.budget.limit),
            resets_in=fmt.duration(use.resets_in.total_seconds()),
        )
        for use in uses
    )


def tag_lines(by_key: dict[str, list[UsageBreakdownRow]]) -> tuple[BreakdownLine, ...]:
    """Every tag key's breakdown as ``key=value`` lines, each key's untagged calls last (``(no key)``)."""
    from llmring.tags import UNTAGGED

    lines: list[BreakdownLine] = []
    for key, rows in by_key.items():
        for line in breakdown_lines(rows):
            label = f"(no {key})" if line.key == UNTAGGED else f"{key}={line.key}"
            lines.append(dataclasses.replace(line, key=fmt.inert(label)))
    return tuple(lines)


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
    """Breakdown rows as the tables show them (the store's order: days oldest first, else by cost)."""
    return tuple(
        BreakdownLine(
            key=fmt.inert(row.key),
            calls=row.calls,
            tokens=row.tokens,
            cost=row.cost_label(),
            errors=row.errors,
            cache_hits=row.cache_hits,
            latency=fmt.latency(row.avg_response_time_ms),
            cost_value=row.cost,
            unpriced_calls=row.unpriced_calls,
            latency_ms=row.avg_response_time_ms,
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
