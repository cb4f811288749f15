"""Turning what a map states into registry entries: overlaying a ``MapModel`` on an entry, and
writing an entry as the JSON the registry files hold.

``updated_entry`` is what ``llmring registry update --from litellm|genai-prices`` applies for each
model a map prices; ``tools/registry_sync.py`` uses the same pieces after it has decided between
the two maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from llmring.price_maps.common import PERIOD_FIELDS, MapModel, json_number
from llmring.registry import RegistryEntry

# Registry fields in file order; the flags are always written so an entry reads as a full card.
ENTRY_FIELDS: tuple[str, ...] = tuple(RegistryEntry.model_fields)
ALWAYS_WRITTEN = frozenset(
    name
    for name in ENTRY_FIELDS
    if name.startswith("supports_")
    or name in ("is_reasoning", "dollars_per_million_tokens_input", "dollars_per_million_tokens_output")
)
# Descriptive fields a map may fill in but never overwrites: they are curated.
_CURATED_TEXT = ("display_name", "description", "note")


def entry_json(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` as a registry entry: file order, Decimals as JSON numbers, every flag written (its
    default when unset), other unset optionals left out."""
    defaults = {name: info.get_default() for name, info in RegistryEntry.model_fields.items() if not info.is_required()}
    entry: dict[str, Any] = {}
    for name in ENTRY_FIELDS:
        if name not in fields and name not in ALWAYS_WRITTEN:
            continue
        value = _plain(fields[name]) if name in fields else defaults.get(name)
        if name in ALWAYS_WRITTEN or name not in defaults or value != defaults[name]:
            entry[name] = value
    return entry


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def updated_entry(existing: Mapping[str, Any] | None, found: MapModel, *, as_of: str, source: str) -> dict[str, Any]:
    """``existing`` (a registry entry, or None for a new model) with what ``found`` states laid over it.

    Prices, limits, capabilities and lifecycle come from the map; names, descriptions and notes
    stay as curated (the map only fills them in when missing); aliases are merged. A price the
    map states is today's (``as_of``): an entry with dated price periods gets it in the period in
    force on ``as_of``, so its history and announced changes stay. LiteLLM's ``max_input_tokens``
    leaves out the output share of OpenAI's reasoning models, so it never shrinks a larger context
    window. ``source`` is used when the map gives no pricing page. The result is not validated:
    run it through ``RegistryEntry``.
    """
    merged: dict[str, Any] = dict(existing or {})
    merged.setdefault("model_name", found.model_name)
    if "price_periods" in found.fields or not merged.get("price_periods"):
        periods = [dict(p) for p in found.fields.get("price_periods", merged.get("price_periods", []))]
    else:
        periods = [dict(p) for p in merged["price_periods"]]
    for name, value in found.fields.items():
        if (name in _CURATED_TEXT and merged.get(name)) or name == "price_periods":
            continue
        if name == "max_context" and found.map_name == "litellm" and merged.get("max_context", 0) > value:
            continue
        if name in PERIOD_FIELDS and "price_periods" not in found.fields:
            _set_current(merged, periods, name, value, as_of)
        else:
            merged[name] = value
    merged["price_periods"] = periods
    aliases = [*merged.get("aliases", []), found.model_name, *found.aliases]
    merged["aliases"] = sorted({a for a in aliases if a != merged["model_name"]})
    merged.setdefault("display_name", found.model_name)
    merged.setdefault("source", source)
    merged["as_of"] = as_of
    return entry_json(merged)


def _set_current(entry: dict[str, Any], periods: list[dict[str, Any]], name: str, value: Any, day: str) -> None:
    """Set ``name`` to ``value`` in the latest period started by ``day`` that sets it, else at the top."""
    for period in reversed(periods):
        if period["from"] <= day and name in period:
            period[name] = value
            return
    entry[name] = value
