"""``llmring stats``: usage totals and a breakdown by model, provider, day or origin.

::

    llmring stats                   # last 30 days, by model
    llmring stats --days 7 --by day --origin my-app --json
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import run_with_store

if TYPE_CHECKING:
    from llmring.schemas import UsageStats
    from llmring.store import Store, UsageBreakdownRow


class GroupBy(StrEnum):
    """What the breakdown groups by."""

    model = "model"
    provider = "provider"
    day = "day"
    origin = "origin"


def _percent(fraction: Any) -> str:
    return f"{float(fraction) * 100:.1f}%"


def stats(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", "-d", metavar="N", help="Look back N days (0: all time).")] = 30,
    by: Annotated[GroupBy, typer.Option("--by", help="Break the totals down by this.")] = GroupBy.model,
    origin: Annotated[str | None, typer.Option("--origin", help="Only calls from this application.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only calls for this id_at_origin.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Totals, cost, tokens, success rate, cache hit rate and savings."""
    from llmring.errors import ConfigurationError

    if days < 0:
        raise ConfigurationError(f"--days must be 0 (all time) or more, not {days}")
    window = days or None

    async def action(store: Store) -> tuple[UsageStats, list[UsageBreakdownRow]]:
        totals = await store.get_usage_stats(origin=origin, id_at_origin=user, days=window)
        rows = await store.usage_breakdown(by.value, origin=origin, id_at_origin=user, days=window)
        return totals, rows

    totals, rows = run_with_store(ctx, action)
    if as_json:
        from llmring.cli.output import print_json

        print_json(
            {"days": window, "by": by.value, "totals": totals.model_dump(), "breakdown": [r.model_dump() for r in rows]}
        )
        return
    _print(totals, rows, by, window)


def _print(totals: UsageStats, rows: list[UsageBreakdownRow], by: GroupBy, window: int | None) -> None:
    from rich.table import Table
    from rich.text import Text

    from llmring.cli.output import console, money, note

    period = "all time" if window is None else f"the last {window} day(s)"
    if totals.total_calls == 0:
        note(f'No calls logged in {period}: run `llmring ask -m MODEL "..."` or use LLMRing in your code.')
        return
    summary = Table(title=f"Usage over {period}", show_header=False)
    summary.add_column("", no_wrap=True)
    summary.add_column("", justify="right")
    unpriced = f" (+{totals.unpriced_calls} unpriced)" if totals.unpriced_calls else ""
    for label, value in (
        ("Calls", f"{totals.total_calls:,}"),
        ("Success rate", _percent(totals.success_rate)),
        (
            "Errors / timeouts / rate limited",
            f"{totals.error_count} / {totals.timeout_count} / {totals.rate_limited_count}",
        ),
        ("Tokens (input / output)", f"{totals.total_prompt_tokens:,} / {totals.total_completion_tokens:,}"),
        ("Cost", money(totals.total_cost, free="$0") + unpriced),
        ("Average cost per call", money(totals.avg_cost_per_call, free="$0")),
        ("Cache hits", f"{totals.cache_hits:,} ({_percent(totals.cache_hit_rate)})"),
        ("Saved by the cache", money(totals.cache_savings, free="$0")),
        ("Average latency", "-" if totals.avg_response_time_ms is None else f"{totals.avg_response_time_ms:,.0f} ms"),
        ("Most used model", totals.most_used_model or "-"),
    ):
        summary.add_row(label, value)
    out = console()
    out.print(summary)
    table = Table(title=f"By {by.value}")
    for name in (by.value.capitalize(), "Calls", "Tokens", "Cost", "Errors", "Cache hits", "Latency"):
        table.add_column(name, justify="left" if name == by.value.capitalize() else "right", no_wrap=True)
    for r in rows:
        latency = "-" if r.avg_response_time_ms is None else f"{r.avg_response_time_ms:,.0f} ms"
        table.add_row(
            Text(r.key),
            f"{r.calls:,}",
            f"{r.tokens:,}",
            r.cost_label(lambda value: money(value, free="$0")),
            str(r.errors),
            str(r.cache_hits),
            latency,
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add ``stats`` to the root app."""
    app.command("stats")(stats)
