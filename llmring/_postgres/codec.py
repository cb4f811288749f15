"""How ``CallRecord`` and ``LLMModel`` map to PostgreSQL rows.

* Money is NUMERIC. A call's cost and cache savings are written rounded to the picodollar
  (``llmring._store.values.exact_money``), so both backends store, sum and return exactly the
  same Decimals. Registry prices are stored as given.
* Timestamps are TIMESTAMPTZ; a naive datetime is taken to be UTC (as in the SQLite store).
* JSON fields travel as text and are cast to JSONB in SQL (asyncpg hands JSONB back as text),
  which works on any pool, shared or not, without per-connection codecs.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from llmring._store.salvage import salvage_call
from llmring._store.values import CALL_JSON_FIELDS, MODEL_DATA_FIELDS, MODEL_JSON_FIELDS, dump_json, exact_money
from llmring.schemas import CallRecord, LLMModel

CALL_FIELDS: tuple[str, ...] = tuple(CallRecord.model_fields)
_PICO_FIELDS = frozenset({"estimated_cost", "cache_savings"})


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive means UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _encoder(name: str) -> Callable[[Any], Any] | None:
    """How a call field is converted on the way in (None: stored as it is)."""
    if name in _PICO_FIELDS:
        return exact_money
    if name in CALL_JSON_FIELDS:
        return dump_json
    if name == "called_at":
        return utc
    return None


# (position, converter) for the fields that need converting.
_ENCODERS = tuple((i, encode) for i, name in enumerate(CALL_FIELDS) if (encode := _encoder(name)) is not None)
_values = operator.itemgetter(*CALL_FIELDS)


def call_rows(records: Sequence[CallRecord]) -> list[tuple[Any, ...]]:
    """``records`` as row tuples in ``CALL_FIELDS`` order, ready for COPY.

    This is the background writer's hot path: the values come out of each record in one C call
    and only the few fields that need converting are touched.
    """
    rows = []
    for record in records:
        row = list(_values(record.__dict__))
        for i, encode in _ENCODERS:
            if row[i] is not None:
                row[i] = encode(row[i])
        rows.append(tuple(row))
    return rows


def call_columns(records: Sequence[CallRecord]) -> list[list[Any]]:
    """``records`` as one list per ``CALL_FIELDS`` column (the arrays the small-batch insert unnests)."""
    return [list(column) for column in zip(*call_rows(records), strict=True)]


def call_from_row(row: Mapping[str, Any]) -> CallRecord:
    """A ``CallRecord`` from an llm_api_calls row."""
    raw = {name: row[name] for name in CALL_FIELDS}
    data = dict(raw)
    try:
        for name in CALL_JSON_FIELDS:
            if data[name] is not None:
                data[name] = json.loads(data[name])
        return CallRecord.model_validate(data)
    except (ValueError, TypeError):  # ValidationError and JSONDecodeError are ValueErrors
        return salvage_call(raw, [(name, json.loads) for name in CALL_JSON_FIELDS])


def model_from_row(row: Mapping[str, Any]) -> LLMModel:
    """An ``LLMModel`` from an llm_models row (JSONB arrives as text)."""
    data = dict(row)
    for name in MODEL_JSON_FIELDS:
        data[name] = json.loads(data[name]) if data[name] is not None else []
    return LLMModel.model_validate(data)


def model_data(model: LLMModel) -> tuple[Any, ...]:
    """The ``MODEL_DATA_FIELDS`` of ``model`` as column values (Decimals and bools as they are)."""
    return tuple(
        dump_json(getattr(model, name)) if name in MODEL_JSON_FIELDS else getattr(model, name)
        for name in MODEL_DATA_FIELDS
    )
