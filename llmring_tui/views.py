"""Plain view models the screens render, and the pure functions that build them from store rows.

Nothing here touches the store or Textual: ``data.py`` fetches, this module shapes, the screens
draw. Every string a user or provider wrote (model names, origins, error messages, metadata) is
carried as plain text; the widgets render it as ``Text`` or escape it, never as markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from llmring_tui import formatting as fmt

if TYPE_CHECKING:
    from llmring.schemas import CallRecord, LLMModel, UsageBreakdownRow, UsageStats

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


# -- calls -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallsQuery:
    """The filters of the calls screen (None: no filter)."""

    status: str | None = None
    model: str | None = None
    origin: str | None = None
    id_at_origin: str | None = None
    search: str | None = None

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in (self.status, self.model, self.origin, self.id_at_origin, self.search))


Cursor = tuple[datetime, str]


@dataclass(frozen=True)
class CallRow:
    """One call log row as the calls table shows it."""

    id: str
    cursor: Cursor
    time: str
    who: str
    model: str
    status: str
    attempt: int
    tokens: int
    cost: str
    latency: str
    cache_hit: bool


def cost_label(record: CallRecord) -> str:
    """The cost cell: dollars, ``unpriced`` (a success we could not price) or ``—``."""
    if record.estimated_cost is not None:
        return fmt.money(record.estimated_cost)
    return "unpriced" if record.unpriced else fmt.NONE


def call_row(record: CallRecord, tz: tzinfo | None) -> CallRow:
    """A ``CallRow`` for ``record`` with its time shown in ``tz``."""
    return CallRow(
        id=record.id,
        cursor=(record.called_at, record.id),
        time=fmt.timestamp(record.called_at, tz)[5:],  # MM-DD HH:MM:SS: the year is noise here
        who=f"{record.origin}/{record.id_at_origin}",
        model=f"{record.provider}:{record.model_name}",
        status=record.status,
        attempt=record.attempt,
        tokens=record.total_tokens,
        cost=cost_label(record),
        latency=fmt.latency(record.response_time_ms),
        cache_hit=record.cache_hit,
    )


@dataclass(frozen=True)
class CallsPage:
    """One page of the call log, newest first, and how to get the next one."""

    rows: tuple[CallRow, ...]
    query: CallsQuery
    page: int
    before: Cursor | None
    has_more: bool
    total_rows: int

    @property
    def next_cursor(self) -> Cursor | None:
        return self.rows[-1].cursor if self.rows and self.has_more else None


@dataclass(frozen=True)
class CostLine:
    """One billed component of a call: tokens, the rate used and what it came to."""

    component: str
    tokens: int
    rate: str
    amount: str


@dataclass(frozen=True)
class CallDetails:
    """Everything logged about one call, grouped for the details modal."""

    title: str
    request: tuple[tuple[str, str], ...]
    tokens: tuple[tuple[str, str], ...]
    cost: tuple[tuple[str, str], ...]
    cost_lines: tuple[CostLine, ...]
    rates: tuple[tuple[str, str], ...]
    error: tuple[tuple[str, str], ...]
    metadata: str | None


# Names of cost components and rate-snapshot keys (cost.py's vocabulary) as people read them.
RATE_LABELS = {
    "tier": "Tier",
    "input": "Input",
    "output": "Output",
    "cached_input": "Cached input",
    "cache_write_5m": "Cache write 5m",
    "cache_write_1h": "Cache write 1h",
    "reasoning": "Reasoning",
    "long_context_threshold_tokens": "Long ctx above",
}


def _component_tokens(record: CallRecord) -> dict[str, int]:
    uncached = record.prompt_tokens - record.cached_tokens - record.cache_write_5m_tokens - record.cache_write_1h_tokens
    breakdown = record.cost_breakdown or {}
    reasoning = record.reasoning_tokens if "reasoning" in breakdown else 0
    return {
        "input": max(uncached, 0),
        "cached_input": record.cached_tokens,
        "cache_write_5m": record.cache_write_5m_tokens,
        "cache_write_1h": record.cache_write_1h_tokens,
        "reasoning": reasoning,
        "output": record.completion_tokens - reasoning,
    }


def call_details(record: CallRecord, tz: tzinfo | None) -> CallDetails:
    """A ``CallDetails`` for ``record``: request metadata, tokens, cost with its rates, error."""
    request = (
        ("Id", record.id),
        ("Call id", record.call_id or fmt.NONE),
        ("Attempt", f"{record.attempt}" + (" (final)" if record.final else " (retried)")),
        ("Time", fmt.timestamp(record.called_at, tz)),
        ("Origin / user", f"{record.origin} / {record.id_at_origin}"),
        ("Model", f"{record.provider}:{record.model_name}"),
        ("Status", record.status),
        ("Finish reason", record.finish_reason or fmt.NONE),
        ("Latency", fmt.latency(record.response_time_ms)),
        ("First token", fmt.latency(record.time_to_first_token_ms)),
        ("Stream", fmt.yes_no(record.stream)),
        ("Temperature", fmt.NONE if record.temperature is None else f"{record.temperature:g}"),
        ("Max tokens", fmt.count(record.max_tokens)),
        ("JSON mode", fmt.yes_no(record.json_mode)),
        ("Tools", ", ".join(record.tools_used) if record.tools_used else fmt.NONE),
        ("Cache hit", fmt.yes_no(record.cache_hit)),
        ("Request id", record.request_id or fmt.NONE),
    )
    tokens = (
        ("Prompt", fmt.count(record.prompt_tokens)),
        ("  cached read", fmt.count(record.cached_tokens)),
        ("  cache write 5m", fmt.count(record.cache_write_5m_tokens)),
        ("  cache write 1h", fmt.count(record.cache_write_1h_tokens)),
        ("Completion", fmt.count(record.completion_tokens)),
        ("  reasoning", fmt.count(record.reasoning_tokens)),
        ("Total", fmt.count(record.total_tokens)),
    )
    cost = (
        ("Estimated cost", cost_label(record)),
        ("Saved by cache", fmt.money(record.cache_savings)),
        ("Input rate", _per_million(record.dollars_per_million_tokens_input_used)),
        ("Output rate", _per_million(record.dollars_per_million_tokens_output_used)),
    )
    snapshot = record.rate_snapshot or {}
    component_tokens = _component_tokens(record)
    cost_lines = tuple(
        CostLine(
            component=RATE_LABELS.get(name, name),
            tokens=component_tokens.get(name, 0),
            rate=_rate_text(snapshot.get(name)),
            amount=fmt.money(Decimal(amount)),
        )
        for name, amount in (record.cost_breakdown or {}).items()
    )
    rates = tuple(
        (RATE_LABELS.get(name, name), str(value) if name == "tier" else _rate_text(value))
        for name, value in snapshot.items()
    )
    error: tuple[tuple[str, str], ...] = ()
    if record.error_type or record.error_message:
        error = (("Type", record.error_type or fmt.NONE), ("Message", record.error_message or fmt.NONE))
    metadata = json.dumps(record.request_metadata, indent=2, sort_keys=True) if record.request_metadata else None
    return CallDetails(
        title=f"Call {record.id}",
        request=request,
        tokens=tokens,
        cost=cost,
        cost_lines=cost_lines,
        rates=rates,
        error=error,
        metadata=metadata,
    )


def _per_million(rate: Decimal | None) -> str:
    return fmt.NONE if rate is None else f"{fmt.price(rate)} per million"


def _rate_text(value: str | int | None) -> str:
    if value is None:
        return fmt.NONE
    if isinstance(value, int):
        return fmt.count(value)
    return fmt.price(Decimal(value))


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
            cost=fmt.money(row.cost),
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
