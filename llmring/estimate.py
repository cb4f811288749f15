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
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmring.cost import FREE_PROVIDERS, compute_cost

if TYPE_CHECKING:
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
    usage = {"prompt_tokens": input_tokens, "completion_tokens": output}
    return WorstCase(input_tokens, output, compute_cost(model, usage, provider=provider).total)
