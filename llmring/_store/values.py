"""Values as both stores write them: money to the picodollar, JSON text, registry field lists.

* A call's cost is exact to the picodollar (1e-12 $): ``to_pico``/``from_pico`` are the only
  conversions (rounded half-even), and ``exact_money`` gives any Decimal the same shape both
  stores return (no exponent, no trailing zeros), so SQLite's integers and PostgreSQL's NUMERIC
  read back as equal Decimals.
* JSON columns hold compact text with Decimals and datetimes as strings.
* ``MODEL_DATA_FIELDS`` are the registry columns a sync writes (everything but identity and
  bookkeeping timestamps).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

# The ``alias`` breakdown's group of calls that named a model, not an alias (issue 15).
NO_ALIAS = "(no alias)"

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


def exact_money(amount: Decimal | None) -> Decimal | None:
    """``amount`` rounded to the picodollar, in the one shape both stores return."""
    return from_pico(to_pico(amount))


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
    """JSON column text back as Python values (NULL stays None)."""
    return None if text is None else json.loads(text)


# The CallRecord fields stored as JSON.
CALL_JSON_FIELDS = frozenset(
    {"cost_breakdown", "rate_snapshot", "tools_used", "response_format", "request_metadata", "repriced_from", "tags"}
)

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
    # migration 007 (issue 14)
    "supports_structured_output",
    "responses_only",
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
    # migration 002 (issue 12)
    "dollars_per_million_tokens_cache_write",
    "dollars_per_million_tokens_cache_write_12h",
    "dollars_per_million_tokens_input_audio",
    "dollars_per_million_tokens_cached_input_audio",
)
# Registry columns holding JSON text: the aliases list and the dated price periods (issue 12),
# the reasoning levels (issue 14).
MODEL_JSON_FIELDS = ("aliases", "price_periods", "reasoning_levels")
# How a model is driven (issue 14, migration 007): a store without these loses every model's
# controls, so opening one that gains them re-syncs them (llmring._store.registry_upgrade).
MODEL_CONTROL_FIELDS = (
    "supports_structured_output",
    "reasoning_control",
    "reasoning_levels",
    "reasoning_budget_min",
    "reasoning_budget_max",
    "prompt_cache_min_tokens",
    "responses_only",
)
MODEL_DATA_FIELDS = (
    "display_name",
    "description",
    "max_context",
    "max_output_tokens",
    *MODEL_BOOL_FIELDS,
    "tool_call_format",
    *MODEL_PRICE_FIELDS[:6],
    "long_context_threshold_tokens",
    *MODEL_PRICE_FIELDS[6:8],
    "source",
    "as_of",
    # migration 002 (issue 12): a sync writes the retirement date as the registry gives it
    *MODEL_PRICE_FIELDS[8:],
    *MODEL_JSON_FIELDS,
    "successor",
    "inactive_from",
    # migration 007 (issue 14); the bools and reasoning_levels came in above
    "reasoning_control",
    "reasoning_budget_min",
    "reasoning_budget_max",
    "prompt_cache_min_tokens",
    "note",
)
