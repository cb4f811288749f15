"""The reference each store's rollup must equal: usage totals straight from the call log.

Test-only SQL: the stores read the rollups (plus at most one day of call rows); these full scans
use the same aggregates, so a test can check that both ways give the same numbers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from llmring._postgres import queries as pg_queries
from llmring._postgres import usage as pg_usage
from llmring._sqlite import usage as sqlite_usage
from llmring._sqlite.codec import ts
from llmring._store.values import exact_money


def sqlite_scan(by: str, window: sqlite_usage.Window) -> tuple[str, dict[str, Any]]:
    """The SQLite store's grouped totals over ``window``, from llm_api_calls alone."""
    filters = window.filters()
    if window.since is not None:
        filters.append("called_at >= :since")
        window.params["since"] = ts(window.since)
    where = " AND ".join(filters) or "1"
    aggregates = ", ".join(sqlite_usage.AGGREGATES.values())
    key = sqlite_usage._KEYS[by][1]
    return f"SELECT {key} AS k, {aggregates} FROM llm_api_calls WHERE {where} GROUP BY k", window.params


def postgres_scan(
    by: str, origin: str | None, id_at_origin: str | None, since: datetime | None
) -> tuple[str, list[Any]]:
    """The PostgreSQL store's grouped totals, from llm_api_calls alone."""
    params: list[Any] = []
    filters = []
    for column, value in (("origin", origin), ("id_at_origin", id_at_origin)):
        if value is not None:
            params.append(value)
            filters.append(f"{column} = ${len(params)}")
    if since is not None:
        params.append(since)
        filters.append(f"called_at >= ${len(params)}")
    where = " AND ".join(filters) or "TRUE"
    selected = ", ".join(f"{expr} AS {name}" for name, expr in pg_queries.AGGREGATES.items())
    key = pg_usage._KEYS[by][1]
    return f"SELECT {key} AS k, {selected} FROM {{{{tables.llm_api_calls}}}} WHERE {where} GROUP BY 1", params


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grouped rows with counters as ints and money to the picodollar, sorted by key."""
    shaped = []
    for row in rows:
        out = {}
        for name, value in row.items():
            out[name] = exact_money(value) if isinstance(value, Decimal) else value
        shaped.append(out)
    return sorted(shaped, key=lambda r: r["k"])
