"""How Python values are written to and read from SQLite columns.

* Money on the call log is INTEGER picodollars (1e-12 $): exact, and SUM() stays exact. ``to_pico``
  and ``from_pico`` are the only conversions; a cost finer than a picodollar is rounded half-even.
  SQLite's 64-bit SUM caps one query's total at about $9.2 million.
* Registry prices are exact decimal text (``str(Decimal)``), so 0 reads back as 0, NULL as None.
* Timestamps are UTC text in one fixed format (``TS_FORMAT``), so comparing strings compares
  times and ``substr(ts, 1, 10)`` is the UTC day. Naive datetimes are taken to be UTC.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, cast

from llmring.schemas import CallRecord, LLMModel

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# sqlite3 (3.11) binds None through its adaptation protocol, raising and clearing two
# AttributeErrors per value; a call row has ~25 NULLs, so that was most of the batch insert time.
# Registering an adapter that maps None to None (a C callable) keeps the same meaning, 5x faster.
sqlite3.register_adapter(type(None), cast(Any, {}.get))
_PICO = Decimal("1e12")
_ONE = Decimal(1)

# -- money ---------------------------------------------------------------------------------------


def to_pico(amount: Decimal | None) -> int | None:
    """Dollars as integer picodollars (None stays None)."""
    if amount is None:
        return None
    if not amount.is_finite():
        raise ValueError(f"cost must be a finite number, not {amount}")
    return int((amount * _PICO).quantize(_ONE, rounding=ROUND_HALF_EVEN))


def from_pico(pico: int | None) -> Decimal | None:
    """Integer picodollars as dollars, without trailing zeros or exponent (None stays None)."""
    if pico is None:
        return None
    sign = "-" if pico < 0 else ""
    whole, frac = divmod(abs(pico), 10**12)
    text = f"{frac:012d}".rstrip("0")
    return Decimal(f"{sign}{whole}.{text}" if text else f"{sign}{whole}")


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
    if text is None:
        return None
    return datetime.strptime(text, TS_FORMAT).replace(tzinfo=UTC)


# -- JSON ----------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | datetime):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# One encoder for every row: json.dumps with any non-default option builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)


def dump_json(value: Any) -> str | None:
    """``value`` as compact JSON text (Decimals and datetimes as strings); None stays NULL."""
    if value is None:
        return None
    return _ENCODER.encode(value)


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# -- registry rows -------------------------------------------------------------------------------

MODEL_BOOL_FIELDS = (
    "supports_vision",
    "supports_function_calling",
    "supports_json_mode",
    "supports_parallel_tool_calls",
    "supports_pdf",
    "supports_streaming",
    "supports_temperature",
    "is_reasoning",
)
MODEL_PRICE_FIELDS = (
    "dollars_per_million_tokens_input",
    "dollars_per_million_tokens_output",
    "dollars_per_million_tokens_cached_input",
    "dollars_per_million_tokens_cache_write_5m",
    "dollars_per_million_tokens_cache_write_1h",
    "dollars_per_million_tokens_reasoning",
    "dollars_per_million_tokens_input_long_context",
    "dollars_per_million_tokens_output_long_context",
)
# The fields a registry sync writes (everything but identity and bookkeeping timestamps).
MODEL_DATA_FIELDS = (
    "display_name",
    "description",
    "max_context",
    "max_output_tokens",
    *MODEL_BOOL_FIELDS,
    "tool_call_format",
    *MODEL_PRICE_FIELDS[:6],
    "long_context_threshold_tokens",
    *MODEL_PRICE_FIELDS[6:],
    "source",
    "as_of",
)
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
    return LLMModel.model_validate(data)


# -- call rows -----------------------------------------------------------------------------------

_CALL_FIELDS = tuple(CallRecord.model_fields)
_MONEY_COLUMNS = {"estimated_cost": "estimated_cost_pico", "cache_savings": "cache_savings_pico"}
_JSON_FIELDS = frozenset({"cost_breakdown", "rate_snapshot", "tools_used", "response_format", "request_metadata"})
_BOOL_CALL_FIELDS = frozenset({"final", "stream", "json_mode", "cache_hit"})
_PRICE_CALL_FIELDS = frozenset({"dollars_per_million_tokens_input_used", "dollars_per_million_tokens_output_used"})
CALL_COLUMNS: tuple[str, ...] = tuple(_MONEY_COLUMNS.get(name, name) for name in _CALL_FIELDS)

_get_call_fields = operator.attrgetter(*_CALL_FIELDS)


def _encoder(name: str) -> Callable[[Any], Any] | None:
    if name in _MONEY_COLUMNS:
        return to_pico
    if name in _JSON_FIELDS:
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
    if name in _JSON_FIELDS:
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
    data = {name: row[_MONEY_COLUMNS.get(name, name)] for name in _CALL_FIELDS}
    for name, decode in _DECODERS:
        if data[name] is not None:
            data[name] = decode(data[name])
    return CallRecord.model_validate(data)
