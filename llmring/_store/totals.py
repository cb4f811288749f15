"""Usage totals from grouped rows: ``UsageStats`` and ``UsageBreakdownRow``, for both stores.

Each store's SQL returns one row per group key ``k`` with the counters of its ``AGGREGATES``
(calls, successes, errors, timeouts, rate_limited, cache_hits, unpriced, token sums, latency sum
and count) and the money sums ``cost`` and ``cache_savings`` as Decimals. What the counters mean
(calls count final rows; tokens and cost sum every row) is documented beside the SQL; the shaping
here is shared, so both backends agree to the digit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from llmring._store.values import exact_money
from llmring.schemas import UsageStats
from llmring.store import UsageBreakdownRow
from llmring.tags import UNTAGGED

GroupedRow = Mapping[str, Any]


def _ratio(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def _avg(total: int, count: int) -> float | None:
    return total / count if count else None


def _money(value: Decimal | None) -> Decimal:
    return exact_money(value) or Decimal(0)


def untagged(tagged: Sequence[GroupedRow], everything: Sequence[GroupedRow]) -> dict[str, Any] | None:
    """The ``(untagged)`` group of a ``tag:KEY`` breakdown: all rows minus the tagged ones.

    Exact, because a row has at most one value per tag key and every counter is a sum. None
    when every row in the window has the tag.
    """
    columns = [c for c in (everything[0].keys() if everything else ()) if c != "k"]
    rest: dict[str, Any] = {"k": UNTAGGED}
    for column in columns:
        zero = Decimal(0) if column in ("cost", "cache_savings") else 0
        whole = sum((row[column] or zero for row in everything), zero)
        rest[column] = whole - sum((row[column] or zero for row in tagged), zero)
    return rest if rest.get("rows") else None


def breakdown_rows(
    by: str, rows: Sequence[GroupedRow], everything: Sequence[GroupedRow] | None = None
) -> list[UsageBreakdownRow]:
    """Grouped totals as ``UsageBreakdownRow``; days in order, other keys by cost, calls, key.

    For a ``tag:KEY`` breakdown, ``everything`` (the window's rows grouped any other way) gives
    the ``(untagged)`` row, which always comes last.
    """
    rest = untagged(rows, everything) if everything is not None else None
    result = [
        UsageBreakdownRow(
            key=row["k"],
            calls=row["calls"],
            tokens=row["prompt_tokens"] + row["completion_tokens"],
            prompt_tokens=row["prompt_tokens"],
            completion_tokens=row["completion_tokens"],
            cost=_money(row["cost"]),
            errors=row["errors"] + row["timeouts"] + row["rate_limited"],
            cache_hits=row["cache_hits"],
            avg_response_time_ms=_avg(row["latency_ms_sum"], row["latency_count"]),
            unpriced_calls=row["unpriced"],
        )
        for row in rows
    ]
    if by == "day":
        result.sort(key=lambda r: r.key)
    else:
        result.sort(key=lambda r: (-r.cost, -r.calls, r.key))
    if rest is not None:
        result += breakdown_rows("untagged", [rest])
    return result


def stats_from_model_rows(rows: Sequence[GroupedRow]) -> UsageStats:
    """``UsageStats`` from per-model totals (the rows of a ``by="model"`` grouped query)."""

    def total(column: str) -> Any:
        return sum((row[column] for row in rows), Decimal(0) if column in ("cost", "cache_savings") else 0)

    calls = total("calls")
    cost = _money(total("cost"))
    most_used = None
    if rows and calls:
        most_used = min(rows, key=lambda row: (-row["calls"], row["k"]))["k"]
    return UsageStats(
        total_calls=calls,
        total_tokens=total("prompt_tokens") + total("completion_tokens"),
        total_cost=cost,
        avg_cost_per_call=_money(cost / calls) if calls else Decimal(0),
        success_rate=_ratio(total("successes"), calls),
        most_used_model=most_used,
        avg_response_time_ms=_avg(total("latency_ms_sum"), total("latency_count")),
        total_prompt_tokens=total("prompt_tokens"),
        total_completion_tokens=total("completion_tokens"),
        error_count=total("errors"),
        timeout_count=total("timeouts"),
        rate_limited_count=total("rate_limited"),
        unpriced_calls=total("unpriced"),
        cache_hits=total("cache_hits"),
        cache_hit_rate=_ratio(total("cache_hits"), calls),
        cache_savings=_money(total("cache_savings")),
    )
