"""genai-prices' data (``prices/new_data/v2/data.json``) -> ``MapModel``s.

The data is a JSON list of providers, each with ``models``: ``{"id", "match", "name",
"description", "context_window", "deprecated", "price_comments", "prices"}``. ``match`` is a clause
tree (``equals``, ``starts_with``, ``ends_with``, ``contains``, ``regex``, ``or``, ``and``) tested
against the lower-cased model name. ``prices`` is either one price set or a list of
``{"constraint": {"start_date": ...}, "prices": {...}}`` where the last one whose date has come
applies; a price is a number (dollars per million tokens) or ``{"base": n, "tiers": [{"start": t,
"price": p}]}``, billing the whole request at ``p`` once the prompt exceeds ``t``.

Only OpenAI, Anthropic and Google are converted (genai-prices has no Ollama provider; the Claude
models it lists under Google are Vertex's and are skipped). Service-tier, batch and fast-mode
variants (``price_variants``) and time-of-day prices are not llmring dimensions and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from llmring.price_maps.common import PERIOD_FIELDS, Conversion, MapModel, decimal_price, iso_day, token_count

_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "google": "google"}
_ALIAS = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")

# genai-prices price key -> registry field; cache_write_mtok is the provider's default TTL.
_PRICE_KEYS = {
    "input_mtok": "dollars_per_million_tokens_input",
    "output_mtok": "dollars_per_million_tokens_output",
    "cache_read_mtok": "dollars_per_million_tokens_cached_input",
    "cache_write_5m_mtok": "dollars_per_million_tokens_cache_write_5m",
    "cache_write_1h_mtok": "dollars_per_million_tokens_cache_write_1h",
    "output_reasoning_mtok": "dollars_per_million_tokens_reasoning",
    "input_audio_mtok": "dollars_per_million_tokens_input_audio",
    "cache_audio_read_mtok": "dollars_per_million_tokens_cached_input_audio",
}


def matches(clause: Any, name: str) -> bool:
    """Whether genai-prices' match ``clause`` accepts model ``name`` (compared lower-cased)."""
    return _compile(clause)(name.lower())


def _compile(clause: Any) -> Callable[[str], bool]:
    """A predicate for ``clause``; raises ``ValueError`` on a clause it cannot read."""
    if not isinstance(clause, Mapping) or len(clause) != 1:
        raise ValueError(f"not a match clause ({clause!r})")
    ((kind, value),) = clause.items()
    if kind in ("or", "and"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{kind!r} needs a list of clauses")
        parts = [_compile(part) for part in value]
        if kind == "or":
            return lambda text: any(part(text) for part in parts)
        return lambda text: all(part(text) for part in parts)
    if not isinstance(value, str):
        raise ValueError(f"{kind!r} needs a string, got {value!r}")
    needle = value.lower()
    if kind == "equals":
        return lambda text: text == needle
    if kind == "starts_with":
        return lambda text: text.startswith(needle)
    if kind == "ends_with":
        return lambda text: text.endswith(needle)
    if kind == "contains":
        return lambda text: needle in text
    if kind == "regex":
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regex {value!r}: {exc}") from exc
        return lambda text: pattern.search(text) is not None
    raise ValueError(f"unknown clause {kind!r}")


def _equals(clause: Any) -> list[str]:
    """The exact names an ``equals`` clause (alone or in an ``or``) lists."""
    if isinstance(clause, Mapping) and "equals" in clause and isinstance(clause["equals"], str):
        return [clause["equals"].lower()]
    if isinstance(clause, Mapping) and isinstance(clause.get("or"), list):
        return [name for part in clause["or"] for name in _equals(part)]
    return []


def convert_genai_prices(data: Any) -> Conversion:
    """Convert genai-prices' data (parsed JSON); see the module docstring."""
    out = Conversion("genai-prices")
    if not isinstance(data, list):
        out.problem("(file)", f"expected a JSON list of providers, got {type(data).__name__}")
        return out
    for raw_provider in data:
        if not isinstance(raw_provider, Mapping):
            continue
        provider = _PROVIDERS.get(str(raw_provider.get("id")))
        models = raw_provider.get("models")
        if provider is None or not isinstance(models, list):
            continue
        for raw in models:
            model = _model(provider, raw, out)
            if model is not None:
                out.models.append(model)
    return out


def _model(provider: str, raw: Any, out: Conversion) -> MapModel | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
        out.problem(f"{provider}/?", "a model without an id; skipped")
        return None
    model_id: str = raw["id"]
    key = f"{provider}/{model_id}"
    if provider == "google" and model_id.startswith("claude"):
        return None  # Vertex's Claude: priced under anthropic
    try:
        matcher = _compile(raw.get("match"))
    except ValueError as exc:
        out.problem(key, f"match: {exc}; skipped")
        return None
    model = MapModel(provider, model_id, key, out.source, matcher=matcher, comments=_text(raw.get("price_comments")))
    model.aliases = [a for a in dict.fromkeys(_equals(raw.get("match"))) if a != model_id and _ALIAS.match(a)]
    model.deprecated = raw.get("deprecated") is True
    fields = model.fields
    for name, registry_field in (("name", "display_name"), ("description", "description")):
        if (text := _text(raw.get(name))) is not None:
            fields[registry_field] = text
    if raw.get("context_window") is not None:
        try:
            fields["max_context"] = token_count(raw["context_window"])
        except ValueError as exc:
            out.problem(key, f"context_window: {exc}; ignored")
    _prices(provider, key, raw.get("prices"), fields, out)
    return model


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _prices(provider: str, key: str, raw: Any, fields: dict[str, Any], out: Conversion) -> None:
    if isinstance(raw, Mapping):
        fields.update(_price_set(provider, key, raw, out))
        return
    if not isinstance(raw, list) or not raw:
        out.problem(key, "prices: neither a price set nor a list of dated prices; unpriced")
        return
    dated: list[tuple[str, dict[str, Any]]] = []
    for position, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("prices"), Mapping):
            out.problem(key, f"prices[{position}]: not a dated price; ignored")
            continue
        constraint = item.get("constraint")
        start = "0000-00-00" if position == 0 else None  # the first set is used until a later one starts
        if isinstance(constraint, Mapping) and "start_date" in constraint:
            try:
                start = iso_day(constraint["start_date"]) if position else start
            except ValueError as exc:
                out.problem(key, f"prices[{position}].constraint: {exc}; ignored")
                continue
        elif constraint is not None:
            out.problem(key, f"prices[{position}]: a time-of-day price is not an llmring dimension; ignored")
            continue
        if start is None:
            out.problem(key, f"prices[{position}]: a later price without a start date; ignored")
            continue
        dated.append((start, _price_set(provider, key, item["prices"], out)))
    if not dated:
        return
    if [start for start, _ in dated] != sorted({start for start, _ in dated}):
        out.problem(key, "dated prices out of order; sorted by start date")
        dated.sort(key=lambda pair: pair[0])
    base = dated[0][1]
    fields.update(base)
    periods, current = [], dict(base)
    for start, prices in dated[1:]:
        change = {k: prices.get(k) for k in PERIOD_FIELDS if prices.get(k) != current.get(k)}
        if change:
            periods.append({"from": start, **change})
            current = prices
    if periods:
        fields["price_periods"] = periods


def _price_set(provider: str, key: str, raw: Mapping[str, Any], out: Conversion) -> dict[str, Any]:
    """One genai-prices price set as registry price fields (tiers become the long-context fields)."""
    write = "dollars_per_million_tokens_cache_write" + ("_5m" if provider == "anthropic" else "")
    names = {**_PRICE_KEYS, "cache_write_mtok": write}
    result: dict[str, Any] = {}
    tiers: dict[str, tuple[int, Decimal]] = {}
    for price_key, registry_field in names.items():
        if price_key not in raw:
            continue
        value = raw[price_key]
        try:
            if isinstance(value, Mapping):
                result[registry_field] = decimal_price(value.get("base"))
                steps = value.get("tiers")
                if not isinstance(steps, list) or not steps or not isinstance(steps[0], Mapping):
                    raise ValueError("tiers must be a list of {start, price}")
                if len(steps) > 1:
                    out.problem(key, f"{price_key}: {len(steps)} tiers; only the first is kept")
                tiers[registry_field] = (token_count(steps[0].get("start")), decimal_price(steps[0].get("price")))
            else:
                result[registry_field] = decimal_price(value)
        except ValueError as exc:
            out.problem(key, f"{price_key}: {exc}; ignored")
    _tiers(key, result, tiers, out)
    return result


def _tiers(key: str, result: dict[str, Any], tiers: dict[str, tuple[int, Decimal]], out: Conversion) -> None:
    if not tiers:
        return
    thresholds = {start for start, _ in tiers.values()}
    if len(thresholds) > 1:
        out.problem(key, f"tiers start at different prompt sizes {sorted(thresholds)}; the lowest is kept")
    threshold = min(thresholds)
    result["long_context_threshold_tokens"] = threshold
    base_in = result.get("dollars_per_million_tokens_input")
    factor: Decimal | None = None
    for registry_field, (_, price) in tiers.items():
        if registry_field in ("dollars_per_million_tokens_input", "dollars_per_million_tokens_output"):
            result[f"{registry_field}_long_context"] = price
    long_in = result.get("dollars_per_million_tokens_input_long_context")
    if base_in and long_in is not None:
        factor = long_in / base_in
    for registry_field, (_, price) in tiers.items():
        if registry_field.endswith(("_input", "_output")) and "cached" not in registry_field:
            continue
        # llmring scales cache and audio rates by the input factor above the threshold.
        if factor is None or (result[registry_field] * factor).normalize() != price.normalize():
            out.problem(key, f"{registry_field} above {threshold} is {price}, not the input factor's; ignored")
