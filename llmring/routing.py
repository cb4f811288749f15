"""Which provider serves a model string, and which registry entry prices it.

Rules, in order (never "the first registered provider"):

1. ``provider:model`` splits on the FIRST colon, so ``ollama:llama3.2:latest`` is Ollama's
   ``llama3.2:latest``. The provider must be one of ``schemas.PROVIDERS``.
2. A bare name is inferred from its prefix: ``gpt-``, ``chatgpt-``, ``o1``/``o3``/``o4`` (alone or
   followed by ``-``) -> openai; ``claude`` -> anthropic; ``gemini`` -> google.
3. Otherwise the registry is searched for that exact name (or alias) across providers (so ``llama3.2``
   finds Ollama). A bare Ollama tag such as ``llama3.2:latest`` is looked up by its base name.
4. Otherwise ``ModelNotFoundError`` with close matches from the registry.

Wherever a name is matched against the registry, an entry's ``aliases`` (dated snapshots,
``-latest`` and no-date names) match too, its own name first: the route keeps the name the caller
sent (that is what the provider receives) and its ``model`` is the entry that prices it.

A model with a known provider but absent from the registry is still routed (``model=None``), and
its calls are logged as unpriced. ``check_capabilities`` then refuses, before anything is sent,
what the route's registry entry says the model cannot do.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmring.errors import ConfigurationError, ModelNotFoundError, UnsupportedFeatureError
from llmring.schemas import PROVIDERS, LLMModel

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest

_PREFIX_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(gpt-|chatgpt-|o[134](-|$))"), "openai"),
    (re.compile(r"^claude"), "anthropic"),
    (re.compile(r"^gemini"), "google"),
)


@dataclass(frozen=True)
class Route:
    """Where a request goes: the provider, the provider's model name and its registry entry."""

    provider: str
    model_name: str
    model: LLMModel | None = None

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model_name}"


def infer_provider(name: str) -> str | None:
    """The provider a bare model name's prefix implies, or None."""
    lowered = name.lower()
    for pattern, provider in _PREFIX_RULES:
        if pattern.match(lowered):
            return provider
    return None


def split_model(text: str) -> tuple[str | None, str]:
    """``provider:model`` as ``(provider, model)`` when the part before the first colon is a
    provider, else ``(None, text)``: Ollama tags (``llama3.2:latest``) have colons too."""
    prefix, sep, rest = text.partition(":")
    if sep and prefix in PROVIDERS:
        return prefix, rest
    return None, text


def _lookup(models: list[LLMModel], provider: str, name: str) -> LLMModel | None:
    """The entry named ``name`` or, failing that, listing it among its ``aliases``."""
    found = [m for m in models if m.provider == provider and m.model_name == name]
    if not found:
        found = [m for m in models if m.provider == provider and name in m.aliases]
    if not found and provider == "ollama" and name.endswith(":latest"):
        # Ollama's ":latest" tag is the same model as the bare name.
        return _lookup(models, provider, name.removesuffix(":latest"))
    # Prefer an active entry when a store holds a retired copy as well.
    found.sort(key=lambda m: not m.is_active)
    return found[0] if found else None


def _suggest(models: list[LLMModel], name: str) -> list[str]:
    keys = [m.key for m in models]
    names = {m.model_name: m.key for m in models}
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.6)
    return [names[c] for c in close] or difflib.get_close_matches(name, keys, n=3, cutoff=0.6)


def resolve(model_string: str, known_models: Iterable[LLMModel]) -> Route:
    """Route ``model_string`` (see the module docstring); raises ``ModelNotFoundError`` or
    ``ConfigurationError`` (empty or malformed strings) with one clear line."""
    text = (model_string or "").strip()
    if not text:
        raise ConfigurationError("no model given: pass a model such as 'gpt-4o-mini' or 'anthropic:claude-...'")
    models = list(known_models)

    if ":" in text:
        prefix, _, rest = text.partition(":")
        provider = prefix.strip().lower()
        name = rest.strip()
        if not provider:
            raise ConfigurationError(f"model {text!r} has nothing before ':': write provider:model, e.g. openai:{name}")
        if provider in PROVIDERS:
            if not name:
                raise ConfigurationError(
                    f"model {text!r} has no model name after '{provider}:': write {provider}:MODEL"
                    " (`llmring models list` shows them)"
                )
            return Route(provider, name, _lookup(models, provider, name))
        # Not a provider: it may be a bare Ollama tag such as "llama3.2:latest" or "qwen3:8b".
        tagged = _lookup(models, "ollama", text) or _lookup(models, "ollama", prefix.strip())
        if tagged is not None:
            return Route("ollama", text, tagged)
        raise ModelNotFoundError(
            f"unknown provider {prefix!r} in {text!r}: expected one of {', '.join(PROVIDERS)}",
            suggestions=_suggest(models, name) if name else None,
        )

    provider_guess = infer_provider(text)
    if provider_guess is not None:
        return Route(provider_guess, text, _lookup(models, provider_guess, text))

    matches = [m for m in models if m.model_name == text] or [m for m in models if text in m.aliases]
    providers = sorted({m.provider for m in matches})
    if len(providers) == 1:
        return Route(providers[0], text, _lookup(models, providers[0], text))
    if len(providers) > 1:
        raise ModelNotFoundError(
            f"model {text!r} is offered by several providers: name one",
            suggestions=[f"{p}:{text}" for p in providers],
        )
    raise ModelNotFoundError(
        f"unknown model {text!r}: use provider:model (providers: {', '.join(PROVIDERS)})",
        suggestions=_suggest(models, text),
    )


# Providers that answer a max_tokens above the model's output cap with a 400 (Gemini and Ollama
# stop at the cap by themselves).
_OUTPUT_CAP_ENFORCED = frozenset({"openai", "anthropic"})


def _part_types(request: LLMRequest) -> set[str]:
    types: set[str] = set()
    for message in request.messages:
        if isinstance(message.content, list):
            types.update(str(p.get("type")) for p in message.content if isinstance(p, dict))
    return types


def _wants_schema(request: LLMRequest) -> bool:
    fmt = request.response_format
    return fmt is not None and fmt.get("type") == "json_schema"


def check_capabilities(route: Route, request: LLMRequest, *, stream: bool = False) -> None:
    """Refuse, before sending, what the registry says the model cannot do (tools, images, PDFs,
    streaming, a JSON schema, more output tokens than its cap, caching the answers of a model that
    takes no temperature). Only cheap, certain checks: a model the registry does not know is never
    refused.
    """
    model = route.model
    if model is None:
        return
    if not model.supports_temperature and (request.cache or {}).get("enabled"):
        raise UnsupportedFeatureError(
            f"{route.key} takes no temperature, so its answers are not deterministic: do not cache them"
            " (drop --cache / cache)",
            provider=route.provider,
        )
    cap = model.max_output_tokens
    if cap and request.max_tokens and request.max_tokens > cap and route.provider in _OUTPUT_CAP_ENFORCED:
        raise UnsupportedFeatureError(
            f"{route.key} writes at most {cap:,} output tokens: lower max_tokens ({request.max_tokens:,})",
            provider=route.provider,
        )
    if stream and not model.supports_streaming:
        raise UnsupportedFeatureError(f"{route.key} does not support streaming", provider=route.provider)
    if not model.supports_structured_output and route.provider != "anthropic" and _wants_schema(request):
        # Claude answers a schema through a forced tool; the others answer a 400.
        raise UnsupportedFeatureError(
            f"{route.key} does not support structured output (a JSON schema): use a model that does"
            " (`llmring models list`) or json_response",
            provider=route.provider,
        )
    if request.tools and not model.supports_function_calling:
        raise UnsupportedFeatureError(f"{route.key} does not support tools (function calling)", provider=route.provider)
    parts = _part_types(request) if any(isinstance(m.content, list) for m in request.messages) else set()
    if "image_url" in parts and not model.supports_vision:
        raise UnsupportedFeatureError(f"{route.key} does not accept images", provider=route.provider)
    if "document" in parts and not model.supports_pdf:
        raise UnsupportedFeatureError(f"{route.key} does not accept PDF documents", provider=route.provider)
