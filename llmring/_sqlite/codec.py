"""How Python values are written to and read from SQLite columns.

* Money on the call log is INTEGER picodollars (1e-12 $): exact, and SUM() stays exact
  (``llmring._store.values.to_pico``/``from_pico`` are the conversions; a cost finer than a
  picodollar is rounded half-even). SQLite's 64-bit SUM caps one query's total at about $9.2 million.
* Registry prices are exact decimal text (``str(Decimal)``), so 0 reads back as 0, NULL as None.
* Timestamps are UTC text in one fixed format (``TS_FORMAT``), so comparing strings compares
  times and ``substr(ts, 1, 10)`` is the UTC day. Naive datetimes are taken to be UTC.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from llmring._store.salvage import salvage_call
from llmring._store.values import (
    CALL_JSON_FIELDS,
    MODEL_BOOL_FIELDS,
    MODEL_DATA_FIELDS,
    MODEL_JSON_FIELDS,
    MODEL_PRICE_FIELDS,
    dump_json,
    from_pico,
    load_json,
    to_pico,
)
from llmring.schemas import CallRecord, LLMModel

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def bind_none_fast() -> None:
    """Make sqlite3 bind None without its slow adaptation protocol (process-wide, idempotent).

    sqlite3 (3.11) binds None through that protocol, raising and clearing two AttributeErrors per
    value; a call row has ~25 NULLs, so that was most of the batch insert time. An adapter that
    maps None to None (a C callable) keeps the meaning, 5x faster. It is registered for the whole
    process, so it runs when a store first connects, not when this module is imported.
    """
    sqlite3.register_adapter(type(None), cast(Any, {}.get))


def price_text(price: Decimal | None) -> str | None:
    """A registry price as exact decimal text."""
    return None if price is None else str(price)


def price_value(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# -- time ----------------------------------------------------------------------------------------


def ts(moment: datetime) -> str:
    """A datetime as fixed-format UTC text (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is twice as fast as strftime and gives the same text for years 1000-9999.
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def parse_ts(text: str | None) -> datetime | None:
    """``ts``'s text back as an aware UTC datetime (``ValueError`` for any other text)."""
    if text is None:
        return None
    # fromisoformat is ~20x faster than strptime (export reads a million of these); it takes
    # more shapes than ts writes, so anything but exactly that shape goes through strptime.
    if len(text) == 27 and text[10] == "T" and text[19] == "." and text[26] == "Z":
        return datetime.fromisoformat(text[:26]).replace(tzinfo=UTC)
    return datetime.strptime(text, TS_FORMAT).replace(tzinfo=UTC)


# -- registry rows -------------------------------------------------------------------------------

_TS_MODEL_FIELDS = ("inactive_from", "created_at", "updated_at")


def model_data(model: LLMModel) -> tuple[Any, ...]:
    """The ``MODEL_DATA_FIELDS`` of ``model`` as column values."""
    values: list[Any] = []
    for name in MODEL_DATA_FIELDS:
        value = getattr(model, name)
        if name in MODEL_PRICE_FIELDS:
            value = price_text(value)
        elif name in MODEL_BOOL_FIELDS:
            value = int(value)
        elif name in MODEL_JSON_FIELDS:
            value = dump_json(value)
        elif name == "inactive_from" and value is not None:
            value = ts(value)
        values.append(value)
    return tuple(values)


def model_from_row(row: sqlite3.Row) -> LLMModel:
    data: dict[str, Any] = dict(row)
    for name in MODEL_PRICE_FIELDS:
        data[name] = price_value(data[name])
    for name in MODEL_BOOL_FIELDS:
        data[name] = bool(data[name])
    for name in _TS_MODEL_FIELDS:
        data[name] = parse_ts(data[name])
    for name in MODEL_JSON_FIELDS:
        data[name] = load_json(data[name]) or []
    return LLMModel.model_validate(data)


# -- call rows -----------------------------------------------------------------------------------

_CALL_FIELDS = tuple(CallRecord.model_fields)
_MONEY_COLUMNS = {"estimated_cost": "estimated_cost_pico", "cache_savings": "cache_savings_pico"}
_BOOL_CALL_FIELDS = frozenset({"final", "stream", "json_mode", "cache_hit"})
_PRICE_CALL_FIELDS = frozenset({"dollars_per_million_tokens_input_used", "dollars_per_million_tokens_output_used"})
CALL_COLUMNS: tuple[str, ...] = tuple(_MONEY_COLUMNS.get(name, name) for name in _CALL_FIELDS)

_get_call_fields = operator.attrgetter(*_CALL_FIELDS)
_FIELD_COLUMNS = tuple((name, _MONEY_COLUMNS.get(name, name)) for name in _CALL_FIELDS)


def _encoder(name: str) -> Callable[[Any], Any] | None:
    if name in _MONEY_COLUMNS:
        return to_pico
    if name in CALL_JSON_FIELDS:
        return dump_json
    if name in _PRICE_CALL_FIELDS:
        return price_text
    if name == "called_at":
        return ts
    if name in _BOOL_CALL_FIELDS:
        return int  # an exact int binds directly; a bool goes through sqlite3's slow adapt path
    return None


def _decoder(name: str) -> Callable[[Any], Any] | None:
    if name in _MONEY_COLUMNS:
        return from_pico
    if name in CALL_JSON_FIELDS:
        return load_json
    if name in _PRICE_CALL_FIELDS:
        return price_value
    if name == "called_at":
        return parse_ts
    if name in _BOOL_CALL_FIELDS:
        return bool
    return None


# (position, converter) for the columns that need one; the batch writer's hot path.
_ENCODERS = [(i, fn) for i, name in enumerate(_CALL_FIELDS) if (fn := _encoder(name)) is not None]
_DECODERS = [(name, fn) for name in _CALL_FIELDS if (fn := _decoder(name)) is not None]


def call_row(record: CallRecord) -> tuple[Any, ...]:
    """``record`` as a tuple in ``CALL_COLUMNS`` order."""
    values = list(_get_call_fields(record))
    for position, encode in _ENCODERS:
        value = values[position]
        if value is not None:
            values[position] = encode(value)
    return tuple(values)


def call_from_row(row: sqlite3.Row | Mapping[str, Any]) -> CallRecord:
    """A call-log row (by column name) as a ``CallRecord``."""
    # By name through a plain dict: sqlite3.Row finds a name by scanning its columns, which
    # across some sixty columns was most of what reading a row cost (``calls export``).
    by_column = dict(zip(row.keys(), row, strict=True)) if isinstance(row, sqlite3.Row) else row
    raw = {name: by_column[column] for name, column in _FIELD_COLUMNS}
    data = dict(raw)
    try:
        for name, decode in _DECODERS:
            if data[name] is not None:
                data[name] = decode(data[name])
        return CallRecord.model_validate(data)
    except (ValueError, TypeError, ArithmeticError):  # ValidationError and JSONDecodeError are ValueErrors
        return salvage_call(raw, _DECODERS)
