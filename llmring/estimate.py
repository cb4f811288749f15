"""What a call may cost before it is sent: input tokens by a stated heuristic, output at its ceiling.

The heuristic (used by budgets; an overestimate on purpose, since a budget must not be passed):

* text (messages, system prompt, tool definitions, response schema): one token per
  ``CHARS_PER_TOKEN`` (3) characters, rounded up; English prose averages about 4 characters per
  token in the providers' tokenizers, code and other scripts fewer;
* each message adds ``MESSAGE_TOKENS`` (4) for its role and framing;
* an image part counts ``IMAGE_TOKENS`` (1,600: a full-size image in Anthropic's and OpenAI's
  published formulas);
* a document part (PDF, base64) counts one token per ``DOCUMENT_BYTES_PER_TOKEN`` (2) decoded bytes.

The worst case of a call is that input plus output at ``max_tokens``, else the model's
``max_output_tokens``, else whatever of its context window the input leaves, priced by
``llmring.cost`` (so long-context tiers apply). A model with none of those has no worst case.

``estimate`` (``LLMRing.estimate``, ``llmring estimate``) counts the input with the provider's
own free counting endpoint where there is one (Anthropic ``/v1/messages/count_tokens``, OpenAI
``/responses/input_tokens``, Gemini ``countTokens``) and falls back to the heuristic when there
is none (Ollama), no API key, or the count fails; ``Estimate.counted_by`` says which it was.
Budgets keep to the heuristic: a count is a network round trip before every covered call.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmring.cost import FREE_PROVIDERS, compute_cost

if TYPE_CHECKING:
    from llmring.providers.base import BaseProvider
    from llmring.routing import Route
    from llmring.schemas import LLMModel, LLMRequest

CHARS_PER_TOKEN = 3
MESSAGE_TOKENS = 4
IMAGE_TOKENS = 1600
DOCUMENT_BYTES_PER_TOKEN = 2


def _text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _part_tokens(part: dict[str, Any]) -> int:
    kind = part.get("type")
    if kind == "text":
        return _text_tokens(str(part.get("text") or ""))
    if kind in ("image_url", "image"):
        return IMAGE_TOKENS
    if kind == "document":
        data = str((part.get("source") or {}).get("data") or "")
        return math.ceil(len(data) * 3 / 4 / DOCUMENT_BYTES_PER_TOKEN)
    return _text_tokens(json.dumps(part, default=str))


def heuristic_input_tokens(request: LLMRequest) -> int:
    """The request's input tokens by the module's heuristic (an overestimate for most text)."""
    tokens = 0
    for message in request.messages:
        tokens += MESSAGE_TOKENS
        content = message.content
        if isinstance(content, str):
            tokens += _text_tokens(content)
        elif content:
            tokens += sum(_part_tokens(part) for part in content)
        if message.tool_calls:
            tokens += _text_tokens(json.dumps(message.tool_calls, default=str))
    if request.tools:
        tokens += _text_tokens(json.dumps(request.tools, default=str))
    if request.response_format:
        tokens += _text_tokens(json.dumps(request.response_format, default=str))
    return tokens


@dataclass(frozen=True)
class WorstCase:
    """A call's ceiling: input tokens, output tokens at most, and their cost (None: unpriced)."""

    input_tokens: int
    output_tokens: int | None
    cost: Decimal | None


def output_ceiling(request: LLMRequest, model: LLMModel | None, input_tokens: int) -> int | None:
    """The most output tokens the call can produce, or None when nothing bounds it."""
    if request.max_tokens is not None:
        return request.max_tokens
    if model is None:
        return None
    if model.max_output_tokens:
        return model.max_output_tokens
    if model.max_context:
        return max(model.max_context - input_tokens, 1)
    return None


# (id(model), provider, input tokens, output tokens) -> (model, worst case): a budgeted call's
# ceiling is priced once per shape, not before every call. Holding the model keeps its id from
# being reused (as ``llmring.cost`` does for its rates).
_CASES: dict[tuple[int, str, int, int], tuple[LLMModel | None, WorstCase]] = {}
_CASES_MAX = 4096


def worst_case(
    request: LLMRequest, model: LLMModel | None, provider: str, input_tokens: int | None = None
) -> WorstCase:
    """The most ``request`` can cost on ``model`` (``input_tokens`` if counted, else the heuristic)."""
    if input_tokens is None:
        input_tokens = heuristic_input_tokens(request)
    output = output_ceiling(request, model, input_tokens)
    if output is None:
        # Free (Ollama) stays free without a ceiling; anything else cannot be bounded.
        free = (model.provider if model is not None else provider) in FREE_PROVIDERS
        return WorstCase(input_tokens, None, Decimal(0) if free else None)
    key = (id(model), provider, input_tokens, output)
    hit = _CASES.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    usage = {"prompt_tokens": input_tokens, "completion_tokens": output}
    case = WorstCase(input_tokens, output, compute_cost(model, usage, provider=provider).total)
    if len(_CASES) >= _CASES_MAX:
        _CASES.clear()
    _CASES[key] = (model, case)
    return case


@dataclass(frozen=True)
class Estimate:
    """What a call may cost before it is sent (``LLMRing.estimate``).

    ``input_tokens`` were counted by the provider (``counted_by == "provider"``) or by the
    module's heuristic (``"heuristic"``, with ``count_error`` saying why when a count failed).
    ``output_tokens`` is the most the call can produce (None: nothing bounds it); the costs are
    None when the model is unpriced, ``input_cost`` + ``output_cost`` being the worst case.
    """

    model: str
    input_tokens: int
    counted_by: str
    output_tokens: int | None
    input_cost: Decimal | None
    output_cost: Decimal | None
    context_window: int | None
    count_error: str | None = None

    @property
    def total_cost(self) -> Decimal | None:
        """Input cost plus worst-case output cost (None when either is unknown)."""
        if self.input_cost is None or self.output_cost is None:
            return None
        return self.input_cost + self.output_cost

    @property
    def context_used(self) -> float | None:
        """The share of the model's context window the input takes (None when it is unknown)."""
        return self.input_tokens / self.context_window if self.context_window else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, costs as exact decimal strings."""

        def money(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "counted_by": self.counted_by,
            "count_error": self.count_error,
            "output_tokens": self.output_tokens,
            "input_cost": money(self.input_cost),
            "output_cost": money(self.output_cost),
            "total_cost": money(self.total_cost),
            "context_window": self.context_window,
            "context_used": self.context_used,
        }


async def estimate(route: Route, provider: BaseProvider | None, request: LLMRequest) -> Estimate:
    """``request``'s estimate on ``route``: input counted by ``provider`` when it can, else the heuristic."""
    from llmring.errors import LLMRingError

    counted: int | None = None
    error: str | None = None
    if provider is not None:
        try:
            counted = await provider.count_input_tokens(request)
        except LLMRingError as exc:  # no key, unreachable, refused: the heuristic still answers
            error = f"{type(exc).__name__}: {exc}"
    input_tokens = counted if counted is not None else heuristic_input_tokens(request)
    case = worst_case(request, route.model, route.provider, input_tokens)
    free = route.provider in FREE_PROVIDERS
    input_cost = compute_cost(route.model, {"prompt_tokens": input_tokens}, provider=route.provider).total
    output_cost = None if case.cost is None or input_cost is None else case.cost - input_cost
    if free:
        input_cost = output_cost = Decimal(0)
    return Estimate(
        model=route.key,
        input_tokens=input_tokens,
        counted_by="provider" if counted is not None else "heuristic",
        output_tokens=case.output_tokens,
        input_cost=input_cost,
        output_cost=output_cost,
        context_window=route.model.max_context if route.model is not None else None,
        count_error=error,
    )
