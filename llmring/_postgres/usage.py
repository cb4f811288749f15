"""Usage totals on PostgreSQL: the same windows and numbers as ``llmring._sqlite.usage``.

A window of ``days`` is rolling (``called_at >= now - days``). Whole UTC days after the window's
first day come from a rollup (``llm_usage_daily`` when a user is named, else the much smaller
``llm_usage_daily_origin``); the rest of that first day is scanned from
``llm_api_calls`` through the ``called_at`` index, so the answer equals a full scan while
reading at most one day of call rows. The totals are then shaped into ``UsageStats`` and
``UsageBreakdownRow`` by ``llmring._store.totals``, as the SQLite store's are.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from llmring._postgres.queries import AGGREGATES, UTC_DAY
from llmring._store.values import NO_ALIAS
from llmring.retention import starts_a_day
from llmring.tags import tag_breakdown_key

# Group key per breakdown: (over the rollup, over the call log), both as text.
_KEYS: dict[str, tuple[str, str]] = {
    "model": ("provider || ':' || model_name", "provider || ':' || model_name"),
    "provider": ("provider", "provider"),
    "origin": ("origin", "origin"),
    "user": ("id_at_origin", "id_at_origin"),
    "day": ("to_char(day, 'YYYY-MM-DD')", f"to_char({UTC_DAY}, 'YYYY-MM-DD')"),
}
_COLUMNS = ", ".join(AGGREGATES)
_COUNTERS = [c for c in AGGREGATES if c not in ("cost", "cache_savings")]


def _filters(origin: str | None, id_at_origin: str | None, params: list[Any]) -> list[str]:
    clauses = []
    if origin is not None:
        params.append(origin)
        clauses.append(f"origin = ${len(params)}")
    if id_at_origin is not None:
        params.append(id_at_origin)
        clauses.append(f"id_at_origin = ${len(params)}")
    return clauses


def grouped_query(
    by: str, origin: str | None, id_at_origin: str | None, since: datetime | None
) -> tuple[str, list[Any]]:
    """SQL and parameters for per-key totals: rollup days plus a scan of the window's first day."""
    if by == "alias":
        return alias_query(origin, id_at_origin, since)
    params: list[Any] = []
    filters = _filters(origin, id_at_origin, params)
    sums = ", ".join(
        [*(f"SUM({c})::bigint AS {c}" for c in _COUNTERS), "SUM(cost) AS cost", "SUM(cache_savings) AS cache_savings"]
    )
    tag_key = tag_breakdown_key(by)
    rollup_filters, scan_filters = filters, filters
    if tag_key is not None:
        # tag:KEY: per value of the tag, from the tag rollup (untagged rows are added later).
        params.append(tag_key)
        rollup, rollup_key, scan_key = "llm_usage_daily_tags", "tag_value", f"tags ->> ${len(params)}"
        rollup_filters = [*filters, f"tag_key = ${len(params)}"]
        scan_filters = [*filters, f"jsonb_typeof(tags) = 'object' AND tags ? ${len(params)}"]
    else:
        rollup_key, scan_key = _KEYS[by]
        per_user = id_at_origin is not None or by == "user"
        rollup = "llm_usage_daily" if per_user else "llm_usage_daily_origin"
    if since is None or starts_a_day(since):
        # A window of whole days reads the rollup alone (pruned days too: ``llmring.retention``).
        if since is not None:
            params.append(since.date())
            rollup_filters = [*rollup_filters, f"day >= ${len(params)}"]
        where = " AND ".join(rollup_filters) or "TRUE"
        return f"SELECT {rollup_key} AS k, {sums} FROM {{{{tables.{rollup}}}}} WHERE {where} GROUP BY 1", params
    first_day = since.date()
    next_midnight = datetime.combine(first_day + timedelta(days=1), time(), tzinfo=since.tzinfo)
    params += [first_day, since, next_midnight]
    n = len(params)
    rollup_where = " AND ".join([*rollup_filters, f"day > ${n - 2}"])
    scan_where = " AND ".join([*scan_filters, f"called_at >= ${n - 1}", f"called_at < ${n}"])
    sql = f"""
        SELECT k, {sums} FROM (
            SELECT {rollup_key} AS k, {_COLUMNS} FROM {{{{tables.{rollup}}}}} WHERE {rollup_where}
            UNION ALL
            SELECT {scan_key} AS k, {", ".join(AGGREGATES.values())}
            FROM {{{{tables.llm_api_calls}}}} WHERE {scan_where} GROUP BY 1
        ) AS s GROUP BY 1
    """
    return sql, params


def alias_query(origin: str | None, id_at_origin: str | None, since: datetime | None) -> tuple[str, list[Any]]:
    """Per-alias totals (calls that named a model: ``NO_ALIAS``), scanned from the call log: the
    rollups have no alias column. Every hop is a row (failed hops' tokens and cost count); the
    call counts once, by its final row."""
    params: list[Any] = []
    filters = _filters(origin, id_at_origin, params)
    if since is not None:
        params.append(since)
        filters.append(f"called_at >= ${len(params)}")
    where = " AND ".join(filters) or "TRUE"
    columns = ", ".join(f"{expr} AS {name}" for name, expr in AGGREGATES.items())
    table = "{{tables.llm_api_calls}}"
    return f"SELECT COALESCE(alias, '{NO_ALIAS}') AS k, {columns} FROM {table} WHERE {where} GROUP BY 1", params
