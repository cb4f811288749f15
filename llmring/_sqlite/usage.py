"""Usage totals: the daily rollup and the queries that read it.

What counts (the same for the rollup and for a direct scan, because both use ``AGGREGATES``):

* calls and outcomes (successes, errors, timeouts, rate limits, cache hits, unpriced calls,
  latency) count **final rows only**: one per logical call, retry attempts folded in;
* what was spent (tokens, cost, cache savings) sums **every row**, attempt rows included, since
  a failed attempt can still have been billed (attempt rows normally carry NULL cost).

A window of ``days`` is rolling: rows with ``called_at >= now - days``. Whole UTC days after the
window's first day come from ``llm_usage_daily``; the rest of that first day is scanned from
``llm_api_calls`` (at most one day of rows, through the ``called_at`` index), so the answer is
exactly what a full scan would give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from llmring._sqlite.codec import ts
from llmring._store.values import NO_ALIAS, from_pico
from llmring.retention import starts_a_day
from llmring.tags import tag_breakdown_key

# Rollup column -> aggregate over llm_api_calls rows.
AGGREGATES: dict[str, str] = {
    "rows": "COUNT(*)",
    "calls": "SUM(final)",
    "successes": "SUM(final AND status = 'success')",
    "errors": "SUM(final AND status = 'error')",
    "timeouts": "SUM(final AND status = 'timeout')",
    "rate_limited": "SUM(final AND status = 'rate_limited')",
    "cache_hits": "SUM(final AND cache_hit)",
    "unpriced": "SUM(final AND status = 'success' AND NOT cache_hit AND estimated_cost_pico IS NULL)",
    "prompt_tokens": "SUM(prompt_tokens)",
    "completion_tokens": "SUM(completion_tokens)",
    "cached_tokens": "SUM(cached_tokens)",
    "reasoning_tokens": "SUM(reasoning_tokens)",
    "cache_write_tokens": "SUM(cache_write_5m_tokens + cache_write_1h_tokens + cache_write_tokens)",
    "cost_pico": "SUM(COALESCE(estimated_cost_pico, 0))",
    "cache_savings_pico": "SUM(COALESCE(cache_savings_pico, 0))",
    "latency_ms_sum": "SUM(CASE WHEN final AND response_time_ms IS NOT NULL THEN response_time_ms ELSE 0 END)",
    "latency_count": "SUM(final AND response_time_ms IS NOT NULL)",
}
_ROLLUP_KEY = ("origin", "id_at_origin", "day", "provider", "model_name")
_COLUMNS = ", ".join(AGGREGATES)

# Folds the rows inserted after rowid ? into the rollup (run in the inserting transaction).
# "WHERE" before "GROUP BY ... ON CONFLICT" is what SQLite's upsert grammar asks for.
ROLLUP_UPSERT = f"""
INSERT INTO llm_usage_daily ({", ".join(_ROLLUP_KEY)}, {_COLUMNS})
SELECT origin, id_at_origin, substr(called_at, 1, 10), provider, model_name,
       {", ".join(AGGREGATES.values())}
FROM llm_api_calls WHERE rowid > ?
GROUP BY origin, id_at_origin, substr(called_at, 1, 10), provider, model_name
ON CONFLICT ({", ".join(_ROLLUP_KEY)}) DO UPDATE SET
    {", ".join(f"{c} = {c} + excluded.{c}" for c in AGGREGATES)}
"""

# The same per tag (key, value), from the inserted rows' JSON tags (issue 16). Run only when a
# batch has tags; json_each yields one row per tag.
TAG_ROLLUP_UPSERT = f"""
INSERT INTO llm_usage_daily_tags (tag_key, tag_value, {", ".join(_ROLLUP_KEY)}, {_COLUMNS})
SELECT t.key, t.value, origin, id_at_origin, substr(called_at, 1, 10), provider, model_name,
       {", ".join(AGGREGATES.values())}
FROM llm_api_calls, json_each(llm_api_calls.tags) AS t WHERE llm_api_calls.rowid > ? AND tags IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (tag_key, tag_value, {", ".join(_ROLLUP_KEY)}) DO UPDATE SET
    {", ".join(f"{c} = {c} + excluded.{c}" for c in AGGREGATES)}
"""
# The tag index `calls --tag` filters through.
TAG_INDEX_INSERT = """
INSERT INTO llm_call_tags (key, value, called_at, row_id)
SELECT t.key, t.value, called_at, llm_api_calls.id
FROM llm_api_calls, json_each(llm_api_calls.tags) AS t WHERE llm_api_calls.rowid > ? AND tags IS NOT NULL
"""
# A logged final row ends its call's budget holds: what was in flight is now spent, in the same
# transaction, so a budget check never sees a call twice or not at all. Expired holds (their call
# never logged: a crashed process) go here too, off the reservation's path.
RELEASE_HOLDS = """
DELETE FROM llm_budget_holds
WHERE call_id IN (SELECT call_id FROM llm_api_calls WHERE rowid > ? AND final) OR expires_at <= ?
"""

# Group key for each breakdown, over the rollup and over the call log.
_KEYS: dict[str, tuple[str, str]] = {
    "model": ("provider || ':' || model_name", "provider || ':' || model_name"),
    "provider": ("provider", "provider"),
    "origin": ("origin", "origin"),
    "user": ("id_at_origin", "id_at_origin"),
    "day": ("day", "substr(called_at, 1, 10)"),
}
# A tag:KEY breakdown: the value of KEY (a checked key, so safe inside the JSON path); rows with
# damaged JSON are skipped rather than failing the query.
_TAG_SCAN_KEY = "CASE WHEN json_valid(tags) THEN json_extract(tags, :tag_path) END"


@dataclass
class Window:
    """The rows a usage query covers: filters plus an optional rolling start time."""

    origin: str | None = None
    id_at_origin: str | None = None
    since: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def filters(self) -> list[str]:
        clauses = []
        if self.origin is not None:
            clauses.append("origin = :origin")
            self.params["origin"] = self.origin
        if self.id_at_origin is not None:
            clauses.append("id_at_origin = :id_at_origin")
            self.params["id_at_origin"] = self.id_at_origin
        return clauses


def grouped_query(by: str, window: Window) -> tuple[str, dict[str, Any]]:
    """SQL (and its parameters) for per-key totals over ``window``: rollup plus first-day scan.

    ``by`` is a breakdown key or ``tag:KEY`` (per value of tag KEY, from the tag rollup; rows
    without that tag are left out: ``llmring._store.totals`` adds them as ``(untagged)``).
    """
    if by == "alias":
        return alias_query(window)
    filters = window.filters()
    tag_key = tag_breakdown_key(by)
    if tag_key is None:
        rollup, (rollup_key, scan_key) = "llm_usage_daily", _KEYS[by]
        rollup_filters, scan_filters = filters, filters
    else:
        rollup, rollup_key, scan_key = "llm_usage_daily_tags", "tag_value", _TAG_SCAN_KEY
        window.params.update(tag_key=tag_key, tag_path=f'$."{tag_key}"')
        rollup_filters = [*filters, "tag_key = :tag_key"]
        scan_filters = [*filters, "tags IS NOT NULL", f"{_TAG_SCAN_KEY} IS NOT NULL"]
    if window.since is None or starts_a_day(window.since):
        # A window of whole days reads the rollup alone (pruned days too: ``llmring.retention``).
        if window.since is not None:
            window.params["day"] = window.since.date().isoformat()
            rollup_filters = [*rollup_filters, "day >= :day"]
        where = " AND ".join(rollup_filters) or "1"
        sql = f"SELECT {rollup_key} AS k, {_sums()} FROM {rollup} WHERE {where} GROUP BY k"
        return sql, window.params
    first_day = window.since.date()
    next_midnight = datetime.combine(first_day + timedelta(days=1), time(), tzinfo=window.since.tzinfo)
    window.params.update(day=first_day.isoformat(), since=ts(window.since), until=ts(next_midnight))
    rollup_where = " AND ".join([*rollup_filters, "day > :day"])
    scan_where = " AND ".join([*scan_filters, "called_at >= :since", "called_at < :until"])
    sql = f"""
        SELECT k, {_sums()} FROM (
            SELECT {rollup_key} AS k, {_COLUMNS} FROM {rollup} WHERE {rollup_where}
            UNION ALL
            SELECT {scan_key} AS k, {", ".join(AGGREGATES.values())}
            FROM llm_api_calls WHERE {scan_where} GROUP BY k
        ) GROUP BY k
    """
    return sql, window.params


def alias_query(window: Window) -> tuple[str, dict[str, Any]]:
    """Per-alias totals over ``window`` (calls that named a model: ``NO_ALIAS``), scanned from the
    call log: the rollups have no alias column. Each hop of an alias's call is a row, so the failed
    hops' tokens and cost count, and the call once (its final row)."""
    clauses = window.filters()
    if window.since is not None:
        clauses.append("called_at >= :since")
        window.params["since"] = ts(window.since)
    where = " AND ".join(clauses) or "1"
    columns = ", ".join(f"{expr} AS {name}" for name, expr in AGGREGATES.items())
    sql = f"SELECT COALESCE(alias, '{NO_ALIAS}') AS k, {columns} FROM llm_api_calls WHERE {where} GROUP BY k"
    return sql, window.params


def _sums() -> str:
    return ", ".join(f"SUM({c}) AS {c}" for c in AGGREGATES)


def with_money(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Grouped rows with their picodollar sums as Decimal ``cost`` and ``cache_savings`` (the
    shape ``llmring._store.totals`` reads)."""
    shaped = []
    for row in rows:
        out = dict(row)
        out["cost"] = from_pico(out.pop("cost_pico"))
        out["cache_savings"] = from_pico(out.pop("cache_savings_pico"))
        shaped.append(out)
    return shaped
