"""Provider clients over httpx, one module per provider, loaded on first use."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmring.providers.base import BaseProvider

PROVIDER_CLASSES: dict[str, str] = {
    "openai": "llmring.providers.openai:OpenAIProvider",
    "anthropic": "llmring.providers.anthropic:AnthropicProvider",
    "google": "llmring.providers.google:GoogleProvider",
    "ollama": "llmring.providers.ollama:OllamaProvider",
}


def provider_class(name: str) -> type[BaseProvider]:
    """The provider class registered under ``name`` (``KeyError`` if unknown)."""
    module, _, attr = PROVIDER_CLASSES[name].partition(":")
    cls: Any = getattr(import_module(module), attr)
    return cls


def create_provider(name: str, **kwargs: Any) -> BaseProvider:
    """Instantiate the provider ``name`` with settings from env unless given in ``kwargs``."""
    return provider_class(name)(**kwargs)
