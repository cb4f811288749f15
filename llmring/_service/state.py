"""``RingState``: the attributes ``LLMRing.__init__`` sets, declared once for every part of the service.

The mixins of ``llmring._service`` read and write these on ``self``; declaring them here (types
only: the class has no values and no methods) lets mypy check each mixin on its own, while
``llmring.service.LLMRing.__init__`` stays the one place that gives them values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    import httpx

    from llmring.budget_guard import BudgetGuard
    from llmring.cache import CacheAccess, ResponseCache
    from llmring.capture import Capture
    from llmring.config import Config
    from llmring.lazy_store import LazyStore
    from llmring.progress import ProgressHook
    from llmring.providers.base import BaseProvider
    from llmring.routing import Route
    from llmring.schemas import LLMModel
    from llmring.settings import DatabaseTarget


class RingState:
    """The state an ``LLMRing`` carries (see ``LLMRing`` for what each public one means)."""

    # Settings, public.
    config: Config
    origin: str
    strict_cost: bool
    enable_db_logging: bool
    max_retries: int
    timeout: float
    idle_timeout: float | None
    deadline: float | None
    aliases: dict[str, tuple[str, ...]]
    progress: ProgressHook | None
    log_content: bool

    # The store, its writer and what is read from it.
    _db_manager: Any
    _target: DatabaseTarget | None
    _lazy_store: LazyStore | None
    _sync: bool  # durability="sync": each call waits for its row
    _guard: BudgetGuard | None
    _cache: ResponseCache | None
    _cache_access: CacheAccess
    _models: list[LLMModel] | None
    _routes: dict[str, Route]
    _capture: Capture | None

    # Providers and the HTTP client they share.
    _providers: dict[str, BaseProvider]
    _http_client: httpx.AsyncClient | None
    _owns_client: bool
    _client_loop: asyncio.AbstractEventLoop | None
    _made_providers: set[str]
