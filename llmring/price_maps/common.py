"""What both converters produce (``MapModel``, ``Conversion``) and the helpers they share."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from llmring.registry import PRICE_FIELDS

# Price fields plus the threshold: what a dated price period may change.
PERIOD_FIELDS = (*PRICE_FIELDS, "long_context_threshold_tokens")

# Names of models that are not chat models llmring can call (fine-tunes, audio, realtime, search,
# image, video, music, embeddings, moderation, computer use, deep research, robotics). Both maps
# list many of them in "chat" mode; the registry holds chat models only.
_NOT_CHAT = re.compile(
    r"^ft:|/|:ft-|\.ft-|audio|realtime|-live\b|live-|-search|transcri|tts|whisper|image|embedding|moderation"
    r"|computer-use|deep-research|robotics|lyria|veo-|imagen|sora|dall-e|nano-banana|^babbage|^davinci|^ada$"
    r"|^curie|^text-|instruct"
)


def is_chat_model(name: str) -> bool:
    """False for model names that are plainly not chat models (see ``_NOT_CHAT``)."""
    return _NOT_CHAT.search(name) is None


@dataclass
class MapModel:
    """One model as a price map states it, in registry v2 field names.

    ``source_key`` is the model's key in the map and ``map_name`` the map ("litellm" or
    "genai-prices"), for messages.
    ``fields`` holds only what the map says: prices as ``Decimal`` (per million tokens), token
    limits as ints, flags as bools, dates as YYYY-MM-DD, ``price_periods`` as a list of dicts.
    ``aliases`` are other names the map gives the same model. ``deprecated`` is genai-prices'
    undated "shut down" flag. ``matcher`` (genai-prices) says whether a model name is priced by
    this entry; ``comments`` is the map's own remark on its prices.
    """

    provider: str
    model_name: str
    source_key: str
    map_name: str
    fields: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    deprecated: bool = False
    comments: str | None = None
    matcher: Callable[[str], bool] | None = None

    def names(self) -> list[str]:
        """The model's name and aliases."""
        return [self.model_name, *self.aliases]


@dataclass
class Conversion:
    """A converted map: its models and one line for each value it had to skip."""

    source: str
    models: list[MapModel] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def for_provider(self, provider: str) -> list[MapModel]:
        """The models of one llmring provider, in map order."""
        return [m for m in self.models if m.provider == provider]

    def problem(self, key: str, message: str) -> None:
        """Record one skipped value as ``<source> <key>: <message>``."""
        self.problems.append(f"{self.source} {key}: {message}")


def decimal_price(value: Any, scale: int = 1) -> Decimal:
    """``value`` (a JSON number, or a numeric string) times ``scale`` as an exact, normalised Decimal.

    Raises ``ValueError`` naming what is wrong: booleans, NaN, infinities and negatives are not prices.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"not a number ({value!r})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a finite number ({value!r})")
    try:
        # repr() keeps a float's shortest form, so 7.5e-08 becomes exactly 0.075 per million.
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation as exc:
        raise ValueError(f"not a number ({value!r})") from exc
    if not number.is_finite() or number < 0:
        raise ValueError(f"not a price ({value!r})")
    scaled = (number * scale).normalize()
    return scaled.quantize(Decimal(1)) if scaled == scaled.to_integral_value() else scaled


def token_count(value: Any) -> int:
    """A positive token count (4096.0 is accepted as 4096); raises ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"not a token count ({value!r})")
    if not isinstance(value, int) and not (math.isfinite(value) and value == int(value)):
        raise ValueError(f"not a whole number of tokens ({value!r})")
    if value <= 0:
        raise ValueError(f"not a positive token count ({value!r})")
    return int(value)


def iso_day(value: Any) -> str:
    """``value`` if it is a YYYY-MM-DD date; raises ``ValueError`` otherwise."""
    from datetime import date

    if not isinstance(value, str) or len(value) != 10:
        raise ValueError(f"not a YYYY-MM-DD date ({value!r})")
    date.fromisoformat(value)
    return value


def json_number(value: Decimal) -> int | float:
    """A Decimal price as the JSON number the registry files hold (4 not 4.0, 0.075 not 0.07500)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def prices_at(fields: dict[str, Any], day: str) -> dict[str, Any]:
    """The ``PERIOD_FIELDS`` of ``fields`` in force on ``day`` (YYYY-MM-DD), its periods applied."""
    current = {k: fields[k] for k in PERIOD_FIELDS if k in fields}
    for period in fields.get("price_periods", ()):
        if period["from"] <= day:
            current.update((k, v) for k, v in period.items() if k in PERIOD_FIELDS)
    return current
