"""What a call cost: the one place llmring turns token counts into dollars.

Prices are dollars per million tokens (``LLMModel.dollars_per_million_tokens_*``), arithmetic is
``Decimal`` throughout, and a price we do not know gives ``total=None`` ("unpriced"), never 0.

The bill, component by component (``Usage`` holds normalised counts, see ``schemas.Usage``):

* ``input``: uncached text prompt tokens, ``prompt - cached - cache writes - uncached audio``, at
  the input rate.
* ``input_audio``: uncached audio prompt tokens (Gemini ``promptTokensDetails``, OpenAI
  ``prompt_tokens_details.audio_tokens``) at the audio input rate. Without one the call is
  unpriced: audio is never billed at the text rate (2.5 Flash audio costs 3.3x its text).
* ``cached_input``: cache reads of text at the cached-input rate. Without one, the input rate (the
  call is then billed as if nothing was cached, an over- rather than an under-estimate).
* ``cached_input_audio``: cache reads of audio at the cached audio rate, else the audio rate.
* ``cache_write_5m`` / ``cache_write_1h``: Anthropic prompt-cache writes at their rates. A missing
  rate falls back to Anthropic's published multipliers of the input rate: 1.25x for 5-minute
  writes and 2x for 1-hour writes.
* ``cache_write`` / ``cache_write_12h``: OpenAI cache writes (gpt-5.6 and gpt-6 families bill them
  at 1.25x input, 12-hour writes at 2.5x). A model without a ``cache_write`` rate bills writes at
  its input rate (OpenAI charged no write premium before gpt-5.6); 12-hour writes without a
  ``cache_write_12h`` rate make the call unpriced (Anthropic's 2x is not OpenAI's 2.5x).
* ``reasoning``: reasoning/thinking tokens at the reasoning rate when the model has one;
  otherwise they stay inside ``output`` (that is how OpenAI, Anthropic and Gemini bill them).
* ``output``: the remaining completion tokens at the output rate.

Prices by date: ``compute_cost`` prices with the model's fields as given. A model with
``price_periods`` is first resolved with ``price_for(model, called_at)`` (``LLMModel.priced_at``),
and ``rate_snapshot["period"]`` says which prices were used ("base" or the period's start day).

Long context (Anthropic 1M-context Sonnet, Gemini 2.5 Pro): when the prompt exceeds
``long_context_threshold_tokens`` the WHOLE request is billed at the long-context rates, not just
the tokens over the line. Cache rates scale by the same factor as the input rate (Anthropic's cache
multipliers apply to the long-context input price; Gemini's cached price doubles with its input
price). A model with a threshold but no long-context input rate is unpriced above the threshold;
a missing long-context output rate means the output rate does not change. A reasoning rate
scales with the output rate.

Ollama runs locally and is always free: cost 0 even for a model the registry does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from llmring.schemas import LLMModel, Usage

MILLION = Decimal(1_000_000)
CACHE_WRITE_5M_MULTIPLIER = Decimal("1.25")
CACHE_WRITE_1H_MULTIPLIER = Decimal("2")
FREE_PROVIDERS = frozenset({"ollama"})


@dataclass(frozen=True)
class CostResult:
    """The cost of one call.

    ``total`` is None when a needed price is unknown. ``breakdown`` maps each billed component to
    its dollar amount (as a string, to keep Decimal exactness through JSON). ``rate_snapshot``
    records the effective per-million rates used, so a row can be audited or re-priced later.
    """

    total: Decimal | None
    breakdown: dict[str, str] = field(default_factory=dict)
    rate_snapshot: dict[str, str | int | None] = field(default_factory=dict)
    input_rate: Decimal | None = None
    output_rate: Decimal | None = None
    priced_as: str | None = None  # the registry entry that priced the call (``provider:model_name``)

    @property
    def unpriced(self) -> bool:
        return self.total is None


FREE = CostResult(total=Decimal(0), rate_snapshot={"tier": "free"}, input_rate=Decimal(0), output_rate=Decimal(0))


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _scaled(rate: Decimal | None, factor: Decimal) -> Decimal | None:
    if rate is None:
        return None
    if factor == 1:
        return rate
    # normalize() keeps snapshots readable: 0.3 * 2 is "0.6", not "0.60".
    return (rate * factor).normalize()


@dataclass(frozen=True)
class _Rates:
    """The effective per-million rates of one model in one tier (computed once, then reused)."""

    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    cache_write: Decimal | None
    cache_write_12h: Decimal | None
    input_audio: Decimal | None
    cached_input_audio: Decimal | None
    reasoning: Decimal | None
    snapshot: dict[str, str | int | None]

    def for_component(self, name: str) -> Decimal | None:
        """The rate of one bill component (``COMPONENTS``)."""
        return getattr(self, name)


# (id(model), long context?) -> (model, rates). Holding the model keeps its id from being reused.
_RATES: dict[tuple[int, bool], tuple[LLMModel, _Rates]] = {}
_RATES_MAX = 4096


def _rates(model: LLMModel, long_context: bool) -> _Rates:
    key = (id(model), long_context)
    hit = _RATES.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    base_in = model.dollars_per_million_tokens_input
    base_out = model.dollars_per_million_tokens_output
    in_rate, out_rate = base_in, base_out
    in_factor = out_factor = Decimal(1)
    if long_context:
        in_rate = model.dollars_per_million_tokens_input_long_context
        long_out = model.dollars_per_million_tokens_output_long_context
        out_rate = long_out if long_out is not None else base_out
        if in_rate is not None and base_in:
            in_factor = in_rate / base_in
        if out_rate is not None and base_out:
            out_factor = out_rate / base_out
    cached = model.dollars_per_million_tokens_cached_input
    write_5m = model.dollars_per_million_tokens_cache_write_5m
    write_1h = model.dollars_per_million_tokens_cache_write_1h
    write = model.dollars_per_million_tokens_cache_write
    audio = _scaled(model.dollars_per_million_tokens_input_audio, in_factor)
    cached_audio = model.dollars_per_million_tokens_cached_input_audio
    rates = _Rates(
        input=in_rate,
        output=out_rate,
        cached_input=_scaled(cached, in_factor) if cached is not None else in_rate,
        cache_write_5m=(
            _scaled(write_5m, in_factor) if write_5m is not None else _scaled(in_rate, CACHE_WRITE_5M_MULTIPLIER)
        ),
        cache_write_1h=(
            _scaled(write_1h, in_factor) if write_1h is not None else _scaled(in_rate, CACHE_WRITE_1H_MULTIPLIER)
        ),
        cache_write=_scaled(write, in_factor) if write is not None else in_rate,
        cache_write_12h=_scaled(model.dollars_per_million_tokens_cache_write_12h, in_factor),
        input_audio=audio,
        cached_input_audio=_scaled(cached_audio, in_factor) if cached_audio is not None else audio,
        reasoning=_scaled(model.dollars_per_million_tokens_reasoning, out_factor),
        snapshot={},
    )
    rates.snapshot.update(
        tier="long_context" if long_context else "standard",
        input=_fmt(rates.input),
        output=_fmt(rates.output),
        cached_input=_fmt(rates.cached_input),
        cache_write_5m=_fmt(rates.cache_write_5m),
        cache_write_1h=_fmt(rates.cache_write_1h),
        reasoning=_fmt(rates.reasoning),
        long_context_threshold_tokens=model.long_context_threshold_tokens,
    )
    # The issue-12 dimensions are written only when the model has them, so rows of other models
    # stay as they were; a call that bills one at a fallback rate adds it (see compute_cost).
    for name in ("cache_write", "cache_write_12h", "input_audio", "cached_input_audio"):
        if getattr(model, f"dollars_per_million_tokens_{name}") is not None:
            rates.snapshot[name] = _fmt(getattr(rates, name))
    if model.price_period is not None:
        rates.snapshot["period"] = model.price_period
    if len(_RATES) >= _RATES_MAX:
        _RATES.clear()
    _RATES[key] = (model, rates)
    return rates


# The components of a bill, in the order they are computed and shown.
COMPONENTS = (
    "input",
    "input_audio",
    "cached_input",
    "cached_input_audio",
    "cache_write_5m",
    "cache_write_1h",
    "cache_write",
    "cache_write_12h",
    "reasoning",
    "output",
)


def billed_tokens(usage: Usage | Mapping[str, Any], *, has_reasoning_rate: bool) -> dict[str, int]:
    """How many tokens each bill component covers (``COMPONENTS`` order), never below zero.

    ``input`` is the prompt minus cache reads, cache writes and uncached audio; reasoning tokens
    are a component of their own only when the model has a reasoning rate, otherwise they stay
    inside ``output``. Sub-counts are clamped to their totals (12-hour writes to all OpenAI
    writes, cached audio to the audio and to all cache reads).
    """
    counts = _counts(usage)
    prompt = int(counts.get("prompt_tokens") or 0)
    completion = int(counts.get("completion_tokens") or 0)
    cached = int(counts.get("cached_tokens") or 0)
    write_5m = int(counts.get("cache_write_5m_tokens") or 0)
    write_1h = int(counts.get("cache_write_1h_tokens") or 0)
    write = int(counts.get("cache_write_tokens") or 0)
    write_12h = min(int(counts.get("cache_write_12h_tokens") or 0), write)
    audio = int(counts.get("audio_tokens") or 0)
    cached_audio = min(int(counts.get("cached_audio_tokens") or 0), audio, cached)
    reasoning = min(int(counts.get("reasoning_tokens") or 0), completion) if has_reasoning_rate else 0
    return {
        "input": max(prompt - cached - write_5m - write_1h - write - (audio - cached_audio), 0),
        "input_audio": max(audio - cached_audio, 0),
        "cached_input": max(cached - cached_audio, 0),
        "cached_input_audio": max(cached_audio, 0),
        "cache_write_5m": write_5m,
        "cache_write_1h": write_1h,
        "cache_write": max(write - write_12h, 0),
        "cache_write_12h": max(write_12h, 0),
        "reasoning": max(reasoning, 0),
        "output": max(completion - max(reasoning, 0), 0),
    }


def _counts(usage: Usage | Mapping[str, Any]) -> Mapping[str, Any]:
    return usage if isinstance(usage, Mapping) else usage.model_dump()


def price_for(model: LLMModel | None, called_at: datetime) -> LLMModel | None:
    """``model`` with the prices in force at ``called_at`` (its dated ``price_periods`` resolved)."""
    return model.priced_at(called_at) if model is not None and model.price_periods else model


def compute_cost(
    model: LLMModel | None,
    usage: Usage | Mapping[str, Any],
    *,
    provider: str | None = None,
    called_at: datetime | None = None,
) -> CostResult:
    """Price ``usage`` (a ``Usage`` or the usage dict a response carries) with ``model``'s rates
    (see the module docstring for every rule); with ``called_at``, at the prices in force then."""
    if called_at is not None:
        model = price_for(model, called_at)
    provider = model.provider if model is not None else provider
    if provider in FREE_PROVIDERS:
        return FREE if model is None else _free(model)
    if model is None:
        return CostResult(total=None, rate_snapshot={"tier": "unknown-model"})
    key = model.key
    if model.dollars_per_million_tokens_input is None and model.dollars_per_million_tokens_output is None:
        return CostResult(total=None, rate_snapshot={"tier": "unpriced"}, priced_as=key)
    counts = _counts(usage)
    threshold = model.long_context_threshold_tokens
    r = _rates(model, threshold is not None and int(counts.get("prompt_tokens") or 0) > threshold)
    snapshot = dict(r.snapshot)
    total = Decimal(0)
    breakdown: dict[str, str] = {}
    for name, tokens in billed_tokens(counts, has_reasoning_rate=r.reasoning is not None).items():
        if tokens <= 0:
            continue
        rate = r.for_component(name)
        if rate is None:
            snapshot["unpriced"] = name  # the dimension without a rate
            return CostResult(
                total=None, rate_snapshot=snapshot, input_rate=r.input, output_rate=r.output, priced_as=key
            )
        if name not in snapshot:  # billed at a fallback rate: the row says which
            snapshot[name] = _fmt(rate)
        amount = Decimal(tokens) * rate / MILLION
        breakdown[name] = format(amount, "f")
        total += amount
    return CostResult(
        total=total,
        breakdown=breakdown,
        rate_snapshot=snapshot,
        input_rate=r.input,
        output_rate=r.output,
        priced_as=key,
    )


def unpriced_reason(model: LLMModel | None, provider: str, model_name: str) -> str | None:
    """Why calls to ``provider:model_name`` (registry entry ``model``) cannot be priced, as the
    start of one line ("openai:gpt-9 is not in the registry"), or None when they can.

    Only the model as a whole: a call can still be unpriced for a dimension without a rate (audio
    tokens, 12-hour cache writes), which only its usage reveals. Free providers are never unpriced.
    """
    if provider in FREE_PROVIDERS:
        return None
    if model is None:
        return f"{provider}:{model_name} is not in the registry"
    if model.dollars_per_million_tokens_input is None or model.dollars_per_million_tokens_output is None:
        return f"{provider}:{model_name} has no price in the registry"
    return None


_FREE_BY_KEY: dict[str, CostResult] = {}


def _free(model: LLMModel) -> CostResult:
    found = _FREE_BY_KEY.get(model.key)
    if found is None:
        if len(_FREE_BY_KEY) >= _RATES_MAX:
            _FREE_BY_KEY.clear()
        found = _FREE_BY_KEY[model.key] = replace(FREE, priced_as=model.key)
    return found
