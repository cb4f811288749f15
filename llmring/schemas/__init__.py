"""Pydantic types shared by every part of llmring, one module per side of a call.

The names and the seed fields come from the seed API reference (``Message``, ``LLMRequest``,
``LLMResponse``, ``LLMModel``, ``UsageStats``); the rest (``StreamChunk``, ``CallRecord``,
``Usage``) are what the service, the stores and the dashboard exchange. Import them from here:

* ``stamps``: ``utc_now`` (the one clock; tests patch ``llmring.schemas.utc_now``) and ``new_id``;
* ``request``: ``Message``, ``LLMRequest``, ``PROVIDERS``;
* ``response``: ``Usage``, ``TOKEN_FIELDS``, ``usage_dict``, ``LLMResponse``, ``StreamChunk``;
* ``llm_model``: ``LLMModel`` (a registry model with its prices);
* ``ledger``: ``CallRecord``, ``CallStatus``, ``CALL_STATUSES``, ``UsageStats``.
"""

from __future__ import annotations

from llmring.schemas.ledger import CALL_STATUSES, CallRecord, CallStatus, UsageStats
from llmring.schemas.llm_model import LLMModel
from llmring.schemas.request import PROVIDERS, LLMRequest, Message, ReasoningLevel, Role
from llmring.schemas.response import TOKEN_FIELDS, FinishReason, LLMResponse, StreamChunk, Usage, usage_dict
from llmring.schemas.stamps import new_id, utc_now

__all__ = [
    "CALL_STATUSES",
    "PROVIDERS",
    "TOKEN_FIELDS",
    "CallRecord",
    "CallStatus",
    "FinishReason",
    "LLMModel",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "ReasoningLevel",
    "Role",
    "StreamChunk",
    "Usage",
    "UsageStats",
    "new_id",
    "usage_dict",
    "utc_now",
]
