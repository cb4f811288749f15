"""SQL for the registry sync and the call-log listing (the parts of ``SQLiteDatabase`` that build it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llmring._sqlite import codec
from llmring._sqlite.call_filters import CallFilters
from llmring.errors import ConfigurationError
from llmring.schemas import LLMModel, SyncReport

_COLS = codec.MODEL_DATA_FIELDS
INSERT_MODEL = (
    f"INSERT INTO llm_models (provider, model_name, {', '.join(_COLS)}, created_at, updated_at)"
    f" VALUES ({', '.join('?' * (len(_COLS) + 4))})"
)
UPDATE_MODEL = (
    f"UPDATE llm_models SET {', '.join(f'{c} = ?' for c in _COLS)}, inactive_from = NULL, updated_at = ? WHERE id = ?"
)
RETIRE_MODEL = "UPDATE llm_models SET inactive_from = ?, updated_at = ? WHERE id = ?"
INSERT_CALL = (
    f"INSERT INTO llm_api_calls ({', '.join(codec.CALL_COLUMNS)}) VALUES ({', '.join('?' * len(codec.CALL_COLUMNS))})"
)


@dataclass
class SyncPlan:
    """What a registry sync will do: the report, and the rows for each statement."""

    report: SyncReport
    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    retires: list[tuple[Any, ...]] = field(default_factory=list)


def plan_sync(
    existing: Sequence[sqlite3.Row],
    models: Sequence[LLMModel],
    providers: Sequence[str],
    now: str,
    dry_run: bool,
) -> SyncPlan:
    """Compare ``models`` with the stored rows: insert new, update changed or retired, retire missing."""
    wanted: dict[tuple[str, str], LLMModel] = {}
    for model in models:
        key = (model.provider, model.model_name)
        if key in wanted:
            raise ConfigurationError(f"model {model.key} is listed twice")
        wanted[key] = model
    stored = {(row["provider"], row["model_name"]): row for row in existing}
    plan = SyncPlan(SyncReport(dry_run=dry_run))
    for key, model in sorted(wanted.items()):
        data = codec.model_data(model)
        row = stored.get(key)
        if row is None:
            plan.report.inserted.append(model.key)
            plan.inserts.append((*key, *data, now, now))
        elif row["inactive_from"] is not None or _changed(row, data):
            plan.report.updated.append(model.key)
            plan.updates.append((*data, now, row["id"]))
        else:
            plan.report.unchanged.append(model.key)
    for key, row in sorted(stored.items()):
        if key[0] in providers and key not in wanted and row["inactive_from"] is None:
            plan.report.retired.append(f"{key[0]}:{key[1]}")
            plan.retires.append((now, now, row["id"]))
    return plan


def _changed(row: sqlite3.Row, data: tuple[Any, ...]) -> bool:
    for name, new in zip(codec.MODEL_DATA_FIELDS, data, strict=True):
        old = row[name]
        if name in codec.MODEL_PRICE_FIELDS and old is not None and new is not None:
            if codec.price_value(old) != codec.price_value(new):  # "0.150" is "0.15"
                return True
        elif old != new:
            return True
    return False


def recent_calls_query(filters: CallFilters, limit: int, offset: int) -> tuple[str, list[Any]]:
    """SQL and parameters for ``list_recent_calls`` (newest first; ties by id, descending)."""
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return "?"

    # SQLite's LIKE ignores ASCII case already.
    clauses = filters.clauses(param, codec.ts, contains="{column} LIKE {pattern} ESCAPE '\\'")
    sql = (
        f"SELECT * FROM llm_api_calls WHERE {' AND '.join(clauses) or '1'}"
        " ORDER BY called_at DESC, id DESC LIMIT ? OFFSET ?"
    )
    return sql, [*params, limit, offset]
