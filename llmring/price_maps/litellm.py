"""LiteLLM's ``model_prices_and_context_window`` map -> ``MapModel``s.

The map is a JSON object of model key -> spec. Prices are dollars per token (``input_cost_per_token``
and friends), long-context prices carry an ``_above_<N>k_tokens`` suffix, and capabilities are
``supports_*`` flags. Only chat models (``mode`` "chat" or "responses") of OpenAI, Anthropic, Gemini
(``gemini/`` keys) and Ollama (``ollama/`` keys) are converted; batch, flex, priority and regional
variants are ignored. A dated key (``gpt-4o-2024-08-06``, ``claude-opus-4-6-20260205``) that says
exactly what its undated key says becomes an alias of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from llmring.price_maps.common import Conversion, MapModel, decimal_price, is_chat_model, iso_day, token_count

_PROVIDERS = {"openai": ("openai", ""), "anthropic": ("anthropic", ""), "gemini": ("google", "gemini/")}
_PROVIDERS["ollama"] = ("ollama", "ollama/")
_CHAT_MODES = ("chat", "responses")
_CHAT_ENDPOINTS = ("/v1/chat/completions", "/v1/responses", "/v1/completions")
_PER_TOKEN = 1_000_000
_DATED = re.compile(r"^(?P<base>.+)-(?:\d{4}-\d{2}-\d{2}|20\d{6})$")
_TIER = re.compile(r"^(?P<kind>input|output)_cost_per_token_above_(?P<k>\d+)k_tokens$")

# LiteLLM price key -> registry field (the Anthropic/OpenAI split of cache writes is below).
_PRICE_KEYS = {
    "input_cost_per_token": "dollars_per_million_tokens_input",
    "output_cost_per_token": "dollars_per_million_tokens_output",
    "cache_read_input_token_cost": "dollars_per_million_tokens_cached_input",
    "cache_creation_input_token_cost_above_1hr": "dollars_per_million_tokens_cache_write_1h",
    "cache_creation_input_token_cost_above_12hr": "dollars_per_million_tokens_cache_write_12h",
    "output_cost_per_reasoning_token": "dollars_per_million_tokens_reasoning",
    "input_cost_per_audio_token": "dollars_per_million_tokens_input_audio",
    "cache_read_input_audio_token_cost": "dollars_per_million_tokens_cached_input_audio",
}
_FLAGS = {
    "supports_vision": "supports_vision",
    "supports_pdf_input": "supports_pdf",
    "supports_function_calling": "supports_function_calling",
    "supports_parallel_function_calling": "supports_parallel_tool_calls",
}


def convert_litellm(data: Any) -> Conversion:
    """Convert LiteLLM's map (parsed JSON); see the module docstring."""
    out = Conversion("litellm")
    if not isinstance(data, Mapping):
        out.problem("(file)", f"expected a JSON object of models, got {type(data).__name__}")
        return out
    groups: dict[str, dict[str, MapModel]] = {}
    for key, spec in data.items():
        if key == "sample_spec" or not isinstance(spec, Mapping):
            continue
        target = _PROVIDERS.get(str(spec.get("litellm_provider")))
        if target is None or spec.get("mode") not in _CHAT_MODES or not isinstance(key, str):
            continue
        provider, prefix = target
        name = key.removeprefix(prefix)
        endpoints = spec.get("supported_endpoints")
        if not is_chat_model(name) or (
            isinstance(endpoints, list) and not any(e in _CHAT_ENDPOINTS for e in endpoints)
        ):
            continue
        model = MapModel(provider, name, key, out.source, _fields(provider, key, spec, out))
        groups.setdefault(provider, {})[name] = model
    for models in groups.values():
        out.models.extend(_fold_dated(models, out))
    return out


def _fold_dated(models: dict[str, MapModel], out: Conversion) -> list[MapModel]:
    """A dated key priced, sized and retired like its undated key becomes the undated key's alias.

    Capability flags that differ between the two (LiteLLM is not always consistent) are reported,
    and the undated key's are kept.
    """
    kept: list[MapModel] = []
    for name, model in models.items():
        dated = _DATED.match(name)
        base = models.get(dated["base"]) if dated else None
        if base is None or _identity(base) != _identity(model):
            kept.append(model)
            continue
        base.aliases.append(name)
        for field_name in sorted(set(base.fields) | set(model.fields)):
            if field_name != "source" and base.fields.get(field_name) != model.fields.get(field_name):
                out.problem(
                    model.source_key,
                    f"{field_name} is {model.fields.get(field_name)!r} but {base.source_key!r} says "
                    f"{base.fields.get(field_name)!r}; folded into {base.source_key!r} with its value",
                )
    return kept


_IDENTITY = (
    "max_context",
    "max_output_tokens",
    "responses_only",
    "inactive_from",
    "successor",
    "long_context_threshold_tokens",
)


def _identity(model: MapModel) -> dict[str, Any]:
    """What makes two keys the same billable model: prices, limits, endpoint and lifecycle."""
    return {k: v for k, v in model.fields.items() if k.startswith("dollars_") or k in _IDENTITY}


def _fields(provider: str, key: str, spec: Mapping[str, Any], out: Conversion) -> dict[str, Any]:
    fields: dict[str, Any] = {}

    def price(name: str, value: Any) -> Decimal | None:
        try:
            return decimal_price(value, _PER_TOKEN)
        except ValueError as exc:
            out.problem(key, f"{name}: {exc}; ignored")
            return None

    write_field = "dollars_per_million_tokens_cache_write"
    if provider == "anthropic":
        write_field += "_5m"
    for name, registry_field in (*_PRICE_KEYS.items(), ("cache_creation_input_token_cost", write_field)):
        if name in spec and (value := price(name, spec[name])) is not None:
            fields[registry_field] = value
    if fields.get("dollars_per_million_tokens_reasoning") == fields.get("dollars_per_million_tokens_output"):
        fields.pop("dollars_per_million_tokens_reasoning", None)  # billed as output anyway
    _long_context(key, spec, fields, out, price)
    for name, registry_field in (("max_input_tokens", "max_context"), ("max_output_tokens", "max_output_tokens")):
        if spec.get(name) is not None:
            try:
                fields[registry_field] = token_count(spec[name])
            except ValueError as exc:
                out.problem(key, f"{name}: {exc}; ignored")
    for name, registry_field in _FLAGS.items():
        if isinstance(spec.get(name), bool):
            fields[registry_field] = spec[name]
    if spec.get("supports_native_streaming") is False:
        fields["supports_streaming"] = False
    _capabilities(provider, key, spec, fields, out)
    _lifecycle(key, spec, fields, out)
    source = spec.get("source")
    if isinstance(source, str) and source.startswith("https://"):
        fields["source"] = source
    return fields


def _long_context(key: str, spec: Mapping[str, Any], fields: dict[str, Any], out: Conversion, price: Any) -> None:
    thresholds: dict[int, dict[str, Decimal]] = {}
    for name, value in spec.items():
        tier = _TIER.match(name)
        if tier and (amount := price(name, value)) is not None:
            thresholds.setdefault(int(tier["k"]) * 1000, {})[tier["kind"]] = amount
    if not thresholds:
        return
    if len(thresholds) > 1:
        out.problem(key, f"several long-context thresholds {sorted(thresholds)}; only the lowest is kept")
    threshold = min(thresholds)
    fields["long_context_threshold_tokens"] = threshold
    for kind, amount in thresholds[threshold].items():
        fields[f"dollars_per_million_tokens_{kind}_long_context"] = amount
    # llmring scales cache rates by the input factor above the threshold: say when LiteLLM differs.
    base_in, long_in = fields.get("dollars_per_million_tokens_input"), thresholds[threshold].get("input")
    cached = spec.get(f"cache_read_input_token_cost_above_{threshold // 1000}k_tokens")
    if base_in and long_in and cached is not None and "dollars_per_million_tokens_cached_input" in fields:
        expected = fields["dollars_per_million_tokens_cached_input"] * long_in / base_in
        stated = price("cache_read_input_token_cost_above_threshold", cached)
        if stated is not None and stated != expected.normalize():
            out.problem(key, f"cached input above {threshold} is {stated}, not the input factor's {expected}")


def _capabilities(provider: str, key: str, spec: Mapping[str, Any], fields: dict[str, Any], out: Conversion) -> None:
    reasoning = spec.get("supports_reasoning") is True
    fields["is_reasoning"] = reasoning
    native = spec.get("supports_native_structured_output")
    schema = spec.get("supports_response_schema")
    min_cache = spec.get("prompt_cache_min_tokens")
    if min_cache is not None:
        try:
            fields["prompt_cache_min_tokens"] = token_count(min_cache)
        except ValueError as exc:
            out.problem(key, f"prompt_cache_min_tokens: {exc}; ignored")
    if spec.get("supports_sampling_params") is False:
        fields["supports_temperature"] = False
    if provider == "openai":
        endpoints = spec.get("supported_endpoints")
        fields["responses_only"] = spec.get("mode") == "responses" or (
            isinstance(endpoints, list) and "/v1/chat/completions" not in endpoints
        )
        fields["supports_structured_output"] = bool(native if isinstance(native, bool) else schema)
        fields["supports_temperature"] = not reasoning
        if reasoning:
            fields["reasoning_control"] = "effort"
            fields["reasoning_levels"] = _openai_levels(spec)
    elif provider == "anthropic":
        fields["supports_json_mode"] = True  # llmring forces a tool when there is no native JSON
        fields["supports_structured_output"] = native is True
        if spec.get("supports_adaptive_thinking") is True:
            levels = ["low", "medium", "high", *_optional_levels(spec, "xhigh", "max")]
            always_on = spec.get("thinking_always_on") is True
            fields["reasoning_control"] = "adaptive"
            fields["reasoning_levels"] = levels if always_on else ["none", *levels]
            if spec.get("supports_legacy_thinking") is True:
                _anthropic_budget(fields)
        elif reasoning:
            fields["reasoning_control"] = "budget"
            fields["reasoning_levels"] = ["none", "low", "medium", "high"]
            _anthropic_budget(fields)
    elif provider == "google":
        fields["supports_structured_output"] = bool(native if isinstance(native, bool) else schema)


def _anthropic_budget(fields: dict[str, Any]) -> None:
    # Anthropic's smallest thinking budget is 1,024 tokens, and the budget must stay below max_tokens.
    if "max_output_tokens" in fields:
        fields["reasoning_budget_min"] = 1024
        fields["reasoning_budget_max"] = fields["max_output_tokens"] - 1


def _optional_levels(spec: Mapping[str, Any], *levels: str) -> list[str]:
    return [level for level in levels if spec.get(f"supports_{level}_reasoning_effort") is True]


def _openai_levels(spec: Mapping[str, Any]) -> list[str]:
    stated = spec.get("reasoning_effort_levels")
    if isinstance(stated, list) and stated and all(isinstance(s, str) for s in stated):
        chosen = set(stated)
    else:
        chosen = {"low", "medium", "high", *_optional_levels(spec, "none", "minimal", "xhigh", "max")}
        if spec.get("supports_low_reasoning_effort") is False:
            chosen.discard("low")
    order = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
    return [level for level in order if level in chosen]


def _lifecycle(key: str, spec: Mapping[str, Any], fields: dict[str, Any], out: Conversion) -> None:
    if spec.get("deprecation_date") is not None:
        try:
            fields["inactive_from"] = iso_day(spec["deprecation_date"])
        except ValueError as exc:
            out.problem(key, f"deprecation_date: {exc}; ignored")
    successor = spec.get("successor_model")
    if isinstance(successor, str) and successor:
        for prefix in ("gemini/", "ollama/"):
            successor = successor.removeprefix(prefix)
        fields["successor"] = successor
