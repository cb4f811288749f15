"""llmring: one call for OpenAI, Anthropic, Gemini and Ollama, every call logged with its cost.

The public names are imported lazily so that ``import llmring`` stays cheap: the database
drivers (asyncpg, pgdbm) and the dashboard (textual) load only when something uses them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.5.0"

_EXPORTS: dict[str, str] = {
    "LLMRing": "llmring.service",
    "LLMRingSQLite": "llmring.service_sqlite",
    "LLMDatabase": "llmring.db",
    "SQLiteDatabase": "llmring.db_sqlite",
    "Message": "llmring.schemas",
    "LLMRequest": "llmring.schemas",
    "LLMResponse": "llmring.schemas",
    "LLMModel": "llmring.schemas",
    "UsageStats": "llmring.schemas",
    "CallRecord": "llmring.schemas",
    "StreamChunk": "llmring.schemas",
    "analyze_image": "llmring.file_utils",
    "analyze_file": "llmring.file_utils",
    # The errors callers catch (the whole tree of llmring.errors).
    "LLMRingError": "llmring.errors",
    "ConfigurationError": "llmring.errors",
    "MissingAPIKeyError": "llmring.errors",
    "InvalidRequestError": "llmring.errors",
    "UnpricedModelError": "llmring.errors",
    "ModelNotFoundError": "llmring.errors",
    "RegistryError": "llmring.errors",
    "FileInputError": "llmring.errors",
    "DatabaseError": "llmring.errors",
    "ProviderError": "llmring.errors",
    "AuthenticationError": "llmring.errors",
    "PermissionDeniedError": "llmring.errors",
    "ProviderModelNotFoundError": "llmring.errors",
    "BadRequestError": "llmring.errors",
    "ContextLengthExceededError": "llmring.errors",
    "ContentFilteredError": "llmring.errors",
    "UnsupportedFeatureError": "llmring.errors",
    "StructuredOutputError": "llmring.errors",
    "RateLimitError": "llmring.errors",
    "QuotaExceededError": "llmring.errors",
    "ProviderTimeoutError": "llmring.errors",
    "ProviderUnavailableError": "llmring.errors",
    "ProviderConnectionError": "llmring.errors",
    "ResponseFormatError": "llmring.errors",
    "FallbackError": "llmring.errors",
    "StreamClosedEarly": "llmring.errors",
    "BudgetExceededError": "llmring.errors",
    "Budget": "llmring.budgets",
    "Estimate": "llmring.estimate",
}

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "Budget",
    "BudgetExceededError",
    "CallRecord",
    "ConfigurationError",
    "ContentFilteredError",
    "ContextLengthExceededError",
    "DatabaseError",
    "Estimate",
    "FallbackError",
    "FileInputError",
    "InvalidRequestError",
    "LLMDatabase",
    "LLMModel",
    "LLMRequest",
    "LLMResponse",
    "LLMRing",
    "LLMRingError",
    "LLMRingSQLite",
    "Message",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "PermissionDeniedError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderModelNotFoundError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "QuotaExceededError",
    "RateLimitError",
    "RegistryError",
    "ResponseFormatError",
    "SQLiteDatabase",
    "StreamChunk",
    "StreamClosedEarly",
    "StructuredOutputError",
    "UnpricedModelError",
    "UnsupportedFeatureError",
    "UsageStats",
    "__version__",
    "analyze_file",
    "analyze_image",
]

if TYPE_CHECKING:
    from llmring.budgets import Budget
    from llmring.db import LLMDatabase
    from llmring.db_sqlite import SQLiteDatabase
    from llmring.errors import (
        AuthenticationError,
        BadRequestError,
        BudgetExceededError,
        ConfigurationError,
        ContentFilteredError,
        ContextLengthExceededError,
        DatabaseError,
        FileInputError,
        InvalidRequestError,
        LLMRingError,
        MissingAPIKeyError,
        ModelNotFoundError,
        PermissionDeniedError,
        ProviderConnectionError,
        ProviderError,
        ProviderModelNotFoundError,
        ProviderTimeoutError,
        ProviderUnavailableError,
        QuotaExceededError,
        RateLimitError,
        RegistryError,
        ResponseFormatError,
        StreamClosedEarly,
        StructuredOutputError,
        UnpricedModelError,
        UnsupportedFeatureError,
    )
    from llmring.estimate import Estimate
    from llmring.file_utils import analyze_file, analyze_image
    from llmring.schemas import CallRecord, LLMModel, LLMRequest, LLMResponse, Message, StreamChunk, UsageStats
    from llmring.service import LLMRing
    from llmring.service_sqlite import LLMRingSQLite


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmring' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
