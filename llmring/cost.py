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

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

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


class TokenCounts(Protocol):
    """The normalised counts a bill is made of (``Usage``, or a logged ``CallRecord``)."""

    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...
    @property
    def cached_tokens(self) -> int: ...
    @property
    def cache_write_5m_tokens(self) -> int: ...
    @property
    def cache_write_1h_tokens(self) -> int: ...
    @property
    def reasoning_tokens(self) -> int: ...


BILLED_COMPONENTS = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "reasoning", "output")


def billed_tokens(usage: TokenCounts, *, has_reasoning_rate: bool) -> tuple[tuple[str, int], ...]:
    """The tokens of each billed component, in ``BILLED_COMPONENTS`` order (see the module docstring).

    Uncached input never goes below 0, and reasoning tokens are split out of the output only when
    the model has a reasoning rate and only up to the completion count, so no part is negative
    whatever a provider reported.
    """
    uncached = max(
        usage.prompt_tokens - usage.cached_tokens - usage.cache_write_5m_tokens - usage.cache_write_1h_tokens, 0
    )
    completion = max(usage.completion_tokens, 0)
    reasoning = max(min(usage.reasoning_tokens, completion), 0) if has_reasoning_rate else 0
    return (
        ("input", uncached),
        ("cached_input", usage.cached_tokens),
        ("cache_write_5m", usage.cache_write_5m_tokens),
        ("cache_write_1h", usage.cache_write_1h_tokens),
        ("reasoning", reasoning),
        ("output", completion - reasoning),
    )


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


def compute_cost(model: LLMModel | None, usage: Usage, *, provider: str | None = None) -> CostResult:
    """Price ``usage`` with ``model``'s rates (see the module docstring for every rule)."""
    provider = model.provider if model is not None else provider
    if provider in FREE_PROVIDERS:
        return FREE
    if model is None:
        return CostResult(total=None, rate_snapshot={"tier": "unknown-model"})
    if model.dollars_per_million_tokens_input is None and model.dollars_per_million_tokens_output is None:
        return CostResult(total=None, rate_snapshot={"tier": "unpriced"})
    threshold = model.long_context_threshold_tokens
    r = _rates(model, threshold is not None and usage.prompt_tokens > threshold)
    snapshot = dict(r.snapshot)

    rates = (r.input, r.cached_input, r.cache_write_5m, r.cache_write_1h, r.reasoning, r.output)
    total = Decimal(0)
    breakdown: dict[str, str] = {}
    for (name, tokens), rate in zip(
        billed_tokens(usage, has_reasoning_rate=r.reasoning is not None), rates, strict=True
    ):
        if tokens <= 0:
            continue
        if rate is None:
            return CostResult(total=None, rate_snapshot=snapshot, input_rate=r.input, output_rate=r.output)
        amount = Decimal(tokens) * rate / MILLION
        breakdown[name] = format(amount, "f")
        total += amount
    return CostResult(
        total=total, breakdown=breakdown, rate_snapshot=snapshot, input_rate=r.input, output_rate=r.output
    )
