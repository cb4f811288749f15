"""What a call cost: the one place llmring turns token counts into dollars.

Prices are dollars per million tokens (``LLMModel.dollars_per_million_tokens_*``), arithmetic is
``Decimal`` throughout, and a price we do not know gives ``total=None`` ("unpriced"), never 0.

The bill, component by component (``Usage`` holds normalised counts, see ``schemas.Usage``):

* ``input``: uncached prompt tokens, ``prompt - cached - cache_write_5m - cache_write_1h``, at
  the input rate.
* ``cached_input``: cache reads at the cached-input rate. Without one, the input rate (the call
  is then billed as if nothing was cached, an over- rather than an under-estimate).
* ``cache_write_5m`` / ``cache_write_1h``: Anthropic prompt-cache writes at their rates. Only
  Anthropic reports writes, so a missing rate falls back to Anthropic's published multipliers of
  the input rate: 1.25x for 5-minute writes and 2x for 1-hour writes.
* ``reasoning``: reasoning/thinking tokens at the reasoning rate when the model has one;
  otherwise they stay inside ``output`` (that is how OpenAI, Anthropic and Gemini bill them).
* ``output``: the remaining completion tokens at the output rate.

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
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    reasoning: Decimal | None
    snapshot: dict[str, str | int | None]

    def for_component(self, name: str) -> Decimal | None:
        """The rate of one bill component (``COMPONENTS``)."""
        return self.input if name == "input" else getattr(self, name)


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
    if len(_RATES) >= _RATES_MAX:
        _RATES.clear()
    _RATES[key] = (model, rates)
    return rates


# The components of a bill, in the order they are computed and shown.
COMPONENTS = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "reasoning", "output")


def billed_tokens(usage: Usage | Mapping[str, Any], *, has_reasoning_rate: bool) -> dict[str, int]:
    """How many tokens each bill component covers (``COMPONENTS`` order), never below zero.

    ``input`` is the prompt minus cache reads and writes; reasoning tokens are a component of their
    own only when the model has a reasoning rate, otherwise they stay inside ``output``.
    """
    counts = _counts(usage)
    prompt = int(counts.get("prompt_tokens") or 0)
    completion = int(counts.get("completion_tokens") or 0)
    cached = int(counts.get("cached_tokens") or 0)
    write_5m = int(counts.get("cache_write_5m_tokens") or 0)
    write_1h = int(counts.get("cache_write_1h_tokens") or 0)
    reasoning = min(int(counts.get("reasoning_tokens") or 0), completion) if has_reasoning_rate else 0
    return {
        "input": max(prompt - cached - write_5m - write_1h, 0),
        "cached_input": cached,
        "cache_write_5m": write_5m,
        "cache_write_1h": write_1h,
        "reasoning": max(reasoning, 0),
        "output": max(completion - max(reasoning, 0), 0),
    }


def _counts(usage: Usage | Mapping[str, Any]) -> Mapping[str, Any]:
    return usage if isinstance(usage, Mapping) else usage.model_dump()


def compute_cost(
    model: LLMModel | None, usage: Usage | Mapping[str, Any], *, provider: str | None = None
) -> CostResult:
    """Price ``usage`` (a ``Usage`` or the usage dict a response carries) with ``model``'s rates
    (see the module docstring for every rule)."""
    provider = model.provider if model is not None else provider
    if provider in FREE_PROVIDERS:
        return FREE
    if model is None:
        return CostResult(total=None, rate_snapshot={"tier": "unknown-model"})
    if model.dollars_per_million_tokens_input is None and model.dollars_per_million_tokens_output is None:
        return CostResult(total=None, rate_snapshot={"tier": "unpriced"})
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
            return CostResult(total=None, rate_snapshot=snapshot, input_rate=r.input, output_rate=r.output)
        amount = Decimal(tokens) * rate / MILLION
        breakdown[name] = format(amount, "f")
        total += amount
    return CostResult(
        total=total, breakdown=breakdown, rate_snapshot=snapshot, input_rate=r.input, output_rate=r.output
    )
