"""``llmring stats``: usage totals and a breakdown by model, provider, day, origin, user, alias or tag.

::

    llmring stats                   # last 30 days, by model
    llmring stats --days 7 --by day --origin my-app --json
    llmring stats --by alias        # per alias (every hop's cost), then (no alias)
    llmring stats --by tag:feature  # per value of the "feature" tag, then (untagged)
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from llmring.cli.context import run_with_store
from llmring.cli.output import Column, FormatOpt, JsonOpt, print_pairs, print_rows

if TYPE_CHECKING:
    from collections.abc import Mapping

    from llmring.schemas import UsageStats
    from llmring.store import Store, UsageBreakdownRow


class GroupBy(StrEnum):
    """What the breakdown groups by."""

    model = "model"
    provider = "provider"
    day = "day"
    origin = "origin"
    user = "user"
    alias = "alias"


def parse_group(text: str) -> str:
    """``--by``: a ``GroupBy`` value or ``tag:KEY`` (checked)."""
    from llmring.errors import ConfigurationError
    from llmring.tags import tag_breakdown_key

    if text in GroupBy.__members__ or tag_breakdown_key(text) is not None:
        return text
    raise ConfigurationError(
        f"Invalid value for '--by': {text!r} is not one of {', '.join(GroupBy)} or tag:KEY (e.g. tag:feature)"
    )


def stats(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", "-d", metavar="N", help="Look back N days (0: all time).")] = 30,
    by: Annotated[
        str,
        typer.Option(
            "--by", metavar="[model|provider|day|origin|user|alias|tag:KEY]", help="Break the totals down by this."
        ),
    ] = "model",
    origin: Annotated[
        str | None, typer.Option("--origin", metavar="NAME", help="Only calls from this application.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", metavar="ID", help="Only calls for this id_at_origin.")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Totals, cost, tokens, success rate, cache hit rate and savings, with a breakdown.

    Days are UTC days. With --format tsv only the breakdown is printed (one table); --json has both.
    """
    from llmring.cli.output import OutputFormat, choose_format, print_json
    from llmring.errors import ConfigurationError

    if days < 0:
        raise ConfigurationError(f"--days must be 0 (all time) or more, not {days}")
    window = days or None
    by = parse_group(by)
    chosen = choose_format(fmt, as_json)

    async def action(store: Store) -> tuple[UsageStats, list[UsageBreakdownRow], int]:
        totals = await store.get_usage_stats(origin=origin, id_at_origin=user, days=window)
        rows = await store.usage_breakdown(by, origin=origin, id_at_origin=user, days=window)
        ever = totals.total_calls or await store.count_calls()
        return totals, rows, ever

    totals, rows, ever = run_with_store(ctx, action)
    if chosen is OutputFormat.json:
        print_json(
            {"days": window, "by": by, "totals": totals.model_dump(), "breakdown": [r.model_dump() for r in rows]}
        )
        return
    period = "all time" if window is None else f"the last {window} day(s)"
    if totals.total_calls == 0:
        _say_empty(period, ever, {"--origin": origin, "--user": user})
        return
    if chosen is not OutputFormat.tsv:
        print_pairs(summary_pairs(totals), chosen, title=f"Usage over {period}")
        if chosen is OutputFormat.plain:
            typer.echo("")
    print_rows(breakdown_columns(by), (breakdown_cells(r) for r in rows), chosen, title=f"By {by}")


def _say_empty(period: str, ever: int, filters: Mapping[str, object]) -> None:
    from llmring.cli.calls import NO_CALLS
    from llmring.cli.output import filter_words, note

    if not ever:
        note(NO_CALLS)
    elif any(filters.values()):
        note(f"No calls in {period} match {filter_words(filters)} ({ever:,} calls logged in all).")
    else:
        note(f"No calls logged in {period} ({ever:,} in all: --days 0 shows all time).")


def summary_pairs(totals: UsageStats) -> list[tuple[str, str]]:
    """The totals, one labelled line each."""
    from llmring import formatting as fmt

    unpriced = f" (+{totals.unpriced_calls:,} unpriced)" if totals.unpriced_calls else ""
    return [
        ("Calls", fmt.count(totals.total_calls)),
        ("Success rate", fmt.percent(totals.success_rate)),
        (
            "Errors / timeouts / rate limited",
            f"{totals.error_count:,} / {totals.timeout_count:,} / {totals.rate_limited_count:,}",
        ),
        ("Tokens (input / output)", f"{totals.total_prompt_tokens:,} / {totals.total_completion_tokens:,}"),
        ("Cost", fmt.money(totals.total_cost) + unpriced),
        ("Average cost per call", fmt.money(totals.avg_cost_per_call)),
        ("Cache hits", f"{totals.cache_hits:,} ({fmt.percent(totals.cache_hit_rate)})"),
        ("Saved by the cache", fmt.money(totals.cache_savings)),
        ("Average latency", fmt.latency(totals.avg_response_time_ms)),
        ("Most used model", totals.most_used_model or fmt.NONE),
    ]


def breakdown_columns(by: str) -> list[Column]:
    """The breakdown table: the key wraps, numbers never do."""
    key = "Day (UTC)" if by == "day" else (f"Tag {by[4:]}" if by.startswith("tag:") else by.capitalize())
    return [
        Column(key, min_width=12),
        Column("Calls", number=True),
        Column("Tokens", number=True),
        Column("Cost", number=True),
        Column("Errors", number=True, drop=1),
        Column("Cache hits", number=True, drop=2),
        Column("Latency", number=True),
    ]


def breakdown_cells(row: UsageBreakdownRow) -> list[str]:
    """One breakdown group as table cells."""
    from llmring import formatting as fmt

    return [
        row.key,
        fmt.count(row.calls),
        fmt.count(row.tokens),
        row.cost_label(),
        fmt.count(row.errors),
        fmt.count(row.cache_hits),
        fmt.latency(row.avg_response_time_ms),
    ]


def register(app: typer.Typer) -> None:
    """Add ``stats`` to the root app."""
    from llmring.cli.context import LLMRingCommand

    app.command("stats", cls=LLMRingCommand, short_help="Usage totals and a breakdown by model, day and more.")(stats)
