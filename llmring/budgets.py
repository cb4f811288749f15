"""Budgets: spending limits per UTC day, week or month that the ledger enforces before a call is sent.

::

    LLMRing(budgets=[Budget("daily", Decimal("5"), origin="my-app", warn_at=0.8)])
    llmring budget set --daily 5 --origin my-app --warn-at 80%

A budget covers the calls that match its scope (``origin``, ``user`` = id_at_origin, one ``tag``
KEY=VALUE; unset parts match everything). Before a call under a budget is sent, the store checks
in one short transaction that ``spent in the period + in flight + this call's worst case`` fits
the limit and, if so, records this call's worst case as a hold (``llm_budget_holds``); the
transaction that logs the call's final row deletes the hold, so what was in flight becomes spent
at once. SQLite serialises these transactions across processes (``BEGIN IMMEDIATE``), PostgreSQL
through a per-budget advisory lock: the limit holds for every process sharing the ledger.

The bound: recorded spend stays <= the limit as long as each call costs at most its worst case
(output at ``max_tokens`` or the model's maximum; input from the estimate, see
``llmring.estimate``). A call can exceed its hold only by input beyond that estimate, and a hold
left by a process that died expires after ``HOLD_SECONDS`` (the call's row never came).

Periods are UTC calendar periods: a day from midnight, a week from Monday, a month from the 1st.
A refused call raises ``BudgetExceededError`` and is logged as an error row with no cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal, get_args

from llmring.errors import BudgetExceededError, ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

Period = Literal["daily", "weekly", "monthly"]
PERIODS: tuple[str, ...] = get_args(Period)
UnpricedPolicy = Literal["block", "allow"]
# How long a hold outlives the call that made it if that call's row never arrives (a crash).
HOLD_SECONDS = 900


@dataclass(frozen=True)
class Budget:
    """A spending limit in dollars per ``period`` over the calls of one scope.

    ``warn_at`` is a fraction of the limit (0.8: warn at 80%); ``unpriced="block"`` (the
    default) refuses calls to models without a price, whose spend a budget cannot see.
    """

    period: Period
    limit: Decimal
    origin: str | None = None
    user: str | None = None
    tag: tuple[str, str] | None = None
    warn_at: float | None = None
    unpriced: UnpricedPolicy = "block"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ConfigurationError(f"unknown budget period {self.period!r}: use daily, weekly or monthly")
        try:
            limit = Decimal(self.limit)
        except (InvalidOperation, TypeError, ValueError):
            raise ConfigurationError(f"budget limit {self.limit!r} is not an amount: write it as 5 or 0.50") from None
        if not limit.is_finite() or limit <= 0:
            raise ConfigurationError(f"budget limit must be a positive amount of dollars, not {self.limit}")
        object.__setattr__(self, "limit", limit)
        if self.warn_at is not None and not 0 < self.warn_at < 1:
            raise ConfigurationError(f"warn_at must be a fraction between 0 and 1 (0.8 for 80%), not {self.warn_at}")
        if self.unpriced not in get_args(UnpricedPolicy):
            raise ConfigurationError(f"unpriced must be 'block' or 'allow', not {self.unpriced!r}")
        if self.tag is not None:
            from llmring.tags import check_tags

            key, value = self.tag
            check_tags({key: value})
            object.__setattr__(self, "tag", (key, value))
        for name in ("origin", "user"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value or not value.isprintable()):
                raise ConfigurationError(f"budget {name} must be printable text, not {value!r}")

    @property
    def scope(self) -> str:
        """Who the budget covers, for people: ``my-app``, ``user u1``, ``feature=summarise``, ``all calls``."""
        parts = []
        if self.origin is not None:
            parts.append(self.origin)
        if self.user is not None:
            parts.append(f"user {self.user}")
        if self.tag is not None:
            parts.append(f"{self.tag[0]}={self.tag[1]}")
        return " ".join(parts) or "all calls"

    @property
    def id(self) -> str:
        """The budget's key in the store: one budget per period and scope (``daily|my-app||``)."""
        tag = "=".join(self.tag) if self.tag else ""
        return "|".join((self.period, self.origin or "", self.user or "", tag))

    def label(self) -> str:
        """``my-app daily budget $5.00``."""
        from llmring.formatting import money

        return f"{self.scope} {self.period} budget {money(self.limit)}"

    def covers(self, origin: str, user: str, tags: Mapping[str, str] | None) -> bool:
        """Whether a call from ``origin`` for ``user`` with ``tags`` counts against this budget."""
        if self.origin is not None and self.origin != origin:
            return False
        if self.user is not None and self.user != user:
            return False
        return self.tag is None or (tags or {}).get(self.tag[0]) == self.tag[1]

    def period_start(self, now: datetime) -> date:
        """The first UTC day of the period ``now`` falls in."""
        today = now.astimezone(UTC).date()
        if self.period == "daily":
            return today
        if self.period == "weekly":
            return today - timedelta(days=today.weekday())
        return today.replace(day=1)

    def resets_at(self, now: datetime) -> datetime:
        """When the period ``now`` falls in ends (UTC midnight)."""
        start = self.period_start(now)
        if self.period == "daily":
            end = start + timedelta(days=1)
        elif self.period == "weekly":
            end = start + timedelta(days=7)
        else:
            end = (start + timedelta(days=32)).replace(day=1)
        return datetime(end.year, end.month, end.day, tzinfo=UTC)


@dataclass(frozen=True)
class BudgetUse:
    """Where one budget stands: spent in the period and held by calls in flight, at ``now``."""

    budget: Budget
    spent: Decimal
    in_flight: Decimal
    now: datetime

    @property
    def used(self) -> Decimal:
        return self.spent + self.in_flight

    @property
    def resets_in(self) -> timedelta:
        return self.budget.resets_at(self.now) - self.now

    def fits(self, amount: Decimal) -> bool:
        """Whether a call that may cost ``amount`` fits what is left."""
        return self.used + amount <= self.budget.limit

    def refusal(self, amount: Decimal) -> BudgetExceededError:
        """The one-line error for a call of worst case ``amount`` that does not fit."""
        from llmring.formatting import money

        return BudgetExceededError(
            f"{self.budget.label()}: spent {money(self.spent)}, in flight {money(self.in_flight)},"
            f" this call up to {money(amount)}",
            budget=self.budget.id,
        )

    def warning(self, amount: Decimal) -> str | None:
        """A warning line once ``spent + in flight + amount`` reaches the warn threshold, else None."""
        warn_at = self.budget.warn_at
        if warn_at is None:
            return None
        after = self.used + amount
        if after < self.budget.limit * Decimal(str(warn_at)):
            return None
        from llmring.formatting import money

        share = int(after * 100 / self.budget.limit)
        return (
            f"llmring: {self.budget.label()} is {share}% used (spent {money(self.spent)},"
            f" in flight {money(self.in_flight + amount)})"
        )


def unpriced_refusal(budget: Budget, model: str) -> BudgetExceededError:
    """The error for a call to a model without a price under a budget that blocks those."""
    return BudgetExceededError(
        f"{budget.label()} blocks unpriced models: {model} has no price in the registry"
        " (set the budget's unpriced policy to allow to let it through)",
        budget=budget.id,
    )
