"""``CallPricing``: what a call cost, put on its response, and the ``strict_cost`` refusal.

The arithmetic is ``llmring.cost``'s (the one home of prices and billed tokens); this mixin only
picks the prices in force for a route and puts the result where callers read it:
``usage["cost"]``, ``usage["prompt_cache_savings"]`` and ``metadata["cost_breakdown"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmring._service.store import StorePlumbing
from llmring.cost import CostResult, compute_cost, price_for, unpriced_reason
from llmring.errors import UnpricedModelError
from llmring.schemas import utc_now

if TYPE_CHECKING:
    from llmring.routing import Route
    from llmring.schemas import LLMResponse

_PROMPT_CACHE_COUNTS = ("cached_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens")


class CallPricing(StorePlumbing):
    """Pricing a call's usage with its route's registry entry (a mixin of ``LLMRing``)."""

    @staticmethod
    def _require_price(route: Route) -> None:
        """``strict_cost``: refuse a model whose calls could not be priced (nothing is sent or logged)."""
        model = route.model
        if model is not None and model.price_periods:  # the clock is read only when prices are dated
            model = price_for(model, utc_now())
        why = unpriced_reason(model, route.provider, route.model_name)
        if why is not None:
            raise UnpricedModelError(
                f"{why}: refused before sending (strict_cost); run `llmring registry update`, "
                "or price it in a registry file loaded with `llmring json-refresh --models-dir DIR`",
                model=route.key,
            )

    async def unpriced_reason(self, model: str) -> str | None:
        """Why calls to ``model`` would be logged unpriced ("openai:gpt-9 is not in the registry"),
        or None when the registry prices them (see ``llmring.cost.unpriced_reason``)."""
        if model in self.aliases:
            return None  # each hop of an alias is priced by its own entry (its row says which)
        route = await self._route(model)
        return unpriced_reason(price_for(route.model, utc_now()), route.provider, route.model_name)

    @staticmethod
    def _price(route: Route, usage: dict[str, Any] | None) -> CostResult:
        if usage is None:
            return CostResult(total=None)
        # Priced with the prices in force now, the moment the call's row is stamped with.
        return compute_cost(route.model, usage, provider=route.provider, called_at=utc_now())

    @staticmethod
    def _attach_cost(response: LLMResponse, route: Route, cost: CostResult, call_id: str) -> None:
        response.usage["cost"] = cost.total
        CallPricing._add_cache_savings(response.usage, route, cost)
        response.metadata.update(cost_breakdown=cost.breakdown, unpriced=cost.total is None, call_id=call_id)
        if response.provider is None:
            response.provider = route.provider

    @staticmethod
    def _add_cache_savings(usage: dict[str, Any], route: Route, cost: CostResult) -> None:
        """``usage["prompt_cache_savings"]``: what prompt-cache reads and writes saved (negative: cost)
        against the same tokens at the uncached input price; only on calls that read or wrote."""
        if cost.total is None or not any(usage.get(k) for k in _PROMPT_CACHE_COUNTS):
            return
        uncached = compute_cost(
            route.model, {**usage, **dict.fromkeys(_PROMPT_CACHE_COUNTS, 0)}, provider=route.provider
        )
        if uncached.total is not None:
            usage["prompt_cache_savings"] = uncached.total - cost.total
