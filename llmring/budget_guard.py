"""``BudgetGuard``: the budget check ``LLMRing`` makes before sending a call (issue 16).

The budgets that apply are the ring's own (``LLMRing(budgets=...)``) plus those stored in the
ledger (``llmring budget set``), which are re-read at most every ``REFRESH_SECONDS`` (so a
budget set from the shell reaches running processes within that time). A call no budget
covers costs one cached list scan and no database work. A covered call gets its worst case
(``llmring.estimate``) held in the store in one transaction (``Store.reserve_budgets``), or
``BudgetExceededError`` and nothing sent. If the store cannot be reached the guard fails
closed for a call a budget covers (``DatabaseError``: the spend cannot be checked), but a
failing read of the stored budgets keeps the last list it read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from llmring.budgets import Budget, unpriced_refusal

if TYPE_CHECKING:
    from datetime import date

    from llmring.call_log import CallRecorder
    from llmring.routing import Route
    from llmring.schemas import LLMRequest
    from llmring.store import Store

logger = logging.getLogger("llmring")

REFRESH_SECONDS = 2.0


class BudgetGuard:
    """Reserves each covered call's worst case under every budget that covers it."""

    def __init__(self, budgets: Sequence[Budget], open_store: Callable[[], Awaitable[Store]]) -> None:
        for budget in budgets:
            if not isinstance(budget, Budget):
                from llmring.errors import ConfigurationError

                raise ConfigurationError(f"budgets= takes llmring.Budget objects, not {type(budget).__name__}")
        self._own = tuple(budgets)
        self._open_store = open_store
        self._stored: tuple[Budget, ...] = ()
        self._read_at = -float("inf")
        self._warned: set[tuple[str, date]] = set()

    async def _budgets(self) -> tuple[Budget, ...]:
        now = time.monotonic()
        if now - self._read_at >= REFRESH_SECONDS:
            self._read_at = now
            try:
                store = await self._open_store()
                stored = tuple(await store.list_budgets())
            except Exception as exc:
                logger.warning("llmring: could not read the stored budgets, using the last ones read: %s", exc)
            else:
                own = {b.id for b in self._own}
                self._stored = tuple(b for b in stored if b.id not in own)  # the ring's own win
        return self._own + self._stored if self._stored else self._own

    async def reserve(self, route: Route, request: LLMRequest, log: CallRecorder) -> None:
        """Hold the call's worst case under every budget covering it, or raise ``BudgetExceededError``."""
        budgets = await self._budgets()
        if not budgets:
            return
        covering = [b for b in budgets if b.covers(log.origin, log.id_at_origin, log.tags)]
        if not covering:
            return
        from llmring.estimate import worst_case

        case = worst_case(request, route.model, route.provider)
        if case.cost is None:
            for budget in covering:
                if budget.unpriced == "block":
                    raise unpriced_refusal(budget, route.key)
            return  # every covering budget lets unpriced calls through: nothing to hold
        if case.cost == 0:
            return  # a free model cannot spend
        store = await self._open_store()
        uses = await store.reserve_budgets(covering, log.call_id, case.cost)
        for use in uses:
            if use.budget.warn_at is None:
                continue
            line = use.warning(case.cost)
            key = (use.budget.id, use.budget.period_start(use.now))
            if line is not None and key not in self._warned:
                self._warned.add(key)
                logger.warning(line)
