"""``llmring budget``: spending limits the ledger enforces before a call is sent (issue 16).

::

    llmring budget set --daily 5 --origin my-app --warn-at 80%
    llmring budget set --monthly 200 --tag feature=summarise --unpriced allow
    llmring budget list            # spent / limit / in flight / resets in
    llmring budget rm --daily --origin my-app

A budget is one per period and scope (origin, user, one tag); setting it again replaces it.
Running processes pick a new or changed budget up within a few seconds (see
``llmring.budget_guard``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import LLMRingCommand, run_with_store
from llmring.cli.output import JsonOpt

if TYPE_CHECKING:
    from llmring.budgets import Budget, BudgetUse
    from llmring.store import Store

budget_app = typer.Typer(help="Spending limits per day, week or month, checked before each call.", no_args_is_help=True)

_AMOUNT = "AMOUNT"


class Unpriced(StrEnum):
    """What a budget does with calls to models that have no price."""

    block = "block"
    allow = "allow"


DailyOpt = Annotated[str | None, typer.Option("--daily", metavar=_AMOUNT, help="Dollars per UTC day.")]
WeeklyOpt = Annotated[str | None, typer.Option("--weekly", metavar=_AMOUNT, help="Dollars per week (from Monday).")]
MonthlyOpt = Annotated[str | None, typer.Option("--monthly", metavar=_AMOUNT, help="Dollars per calendar month.")]
OriginOpt = Annotated[str | None, typer.Option("--origin", metavar="NAME", help="Only calls from this application.")]
UserOpt = Annotated[str | None, typer.Option("--user", metavar="ID", help="Only calls for this id_at_origin.")]
TagOpt = Annotated[str | None, typer.Option("--tag", metavar="KEY=VALUE", help="Only calls with this tag.")]


def _one_period(daily: Any, weekly: Any, monthly: Any, *, what: str) -> tuple[str, Any]:
    from llmring.errors import ConfigurationError

    given = [(name, value) for name, value in (("daily", daily), ("weekly", weekly), ("monthly", monthly)) if value]
    if len(given) != 1:
        raise ConfigurationError(f"{what} takes exactly one of --daily, --weekly or --monthly")
    return given[0]


def parse_warn_at(text: str | None) -> float | None:
    """``80%`` or ``0.8`` as the fraction 0.8 (None stays None)."""
    if text is None:
        return None
    from llmring.errors import ConfigurationError

    value = text.strip()
    try:
        fraction = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise ConfigurationError(f"--warn-at {text!r}: write a percentage such as 80%") from None
    if not 0 < fraction < 1:
        raise ConfigurationError(f"--warn-at {text!r}: use a percentage between 0% and 100%, such as 80%")
    return fraction


def _amount(text: str) -> Any:
    from decimal import Decimal, InvalidOperation

    from llmring.errors import ConfigurationError

    try:
        return Decimal(text.strip().removeprefix("$").replace(",", ""))
    except InvalidOperation:
        raise ConfigurationError(f"budget amount {text!r} is not a number of dollars: write it as 5 or 0.50") from None


def _budget(period: str, amount: str, origin: str | None, user: str | None, tag: str | None, **extra: Any) -> Budget:
    from llmring.budgets import Budget
    from llmring.tags import parse_tag

    return Budget(
        period,  # type: ignore[arg-type]
        _amount(amount),
        origin=origin,
        user=user,
        tag=parse_tag(tag) if tag else None,
        **extra,
    )


@budget_app.command("set", cls=LLMRingCommand, short_help="Set (or replace) a budget.")
def set_budget(
    ctx: typer.Context,
    daily: DailyOpt = None,
    weekly: WeeklyOpt = None,
    monthly: MonthlyOpt = None,
    origin: OriginOpt = None,
    user: UserOpt = None,
    tag: TagOpt = None,
    warn_at: Annotated[
        str | None, typer.Option("--warn-at", metavar="PERCENT", help="Log a warning from this share on (80%).")
    ] = None,
    unpriced: Annotated[
        Unpriced, typer.Option("--unpriced", help="Calls to models without a price: block (default) or allow.")
    ] = Unpriced.block,
) -> None:
    """Set a spending limit for one period, over all calls or one origin, user or tag.

    Before each call it covers, spent + in flight + the call's worst case must fit, or the call
    is refused (BudgetExceededError) without being sent.
    """
    period, amount = _one_period(daily, weekly, monthly, what="budget set")
    budget = _budget(period, amount, origin, user, tag, warn_at=parse_warn_at(warn_at), unpriced=unpriced.value)

    async def action(store: Store) -> None:
        await store.save_budget(budget)

    run_with_store(ctx, action, create=True)
    typer.echo(f"Budget set: {_plain(budget.label())} (unpriced models: {budget.unpriced})")


@budget_app.command("rm", cls=LLMRingCommand, short_help="Remove a budget.")
def remove_budget(
    ctx: typer.Context,
    daily: Annotated[bool, typer.Option("--daily", help="The daily budget.")] = False,
    weekly: Annotated[bool, typer.Option("--weekly", help="The weekly budget.")] = False,
    monthly: Annotated[bool, typer.Option("--monthly", help="The monthly budget.")] = False,
    origin: OriginOpt = None,
    user: UserOpt = None,
    tag: TagOpt = None,
) -> None:
    """Remove the budget of one period and scope (the same options it was set with)."""
    period, _ = _one_period(daily, weekly, monthly, what="budget rm")
    budget = _budget(period, "1", origin, user, tag)

    async def action(store: Store) -> bool:
        return await store.remove_budget(budget.id)

    if not run_with_store(ctx, action):
        from llmring.errors import ConfigurationError

        raise ConfigurationError(f"there is no {period} budget for {_plain(budget.scope)}: see `llmring budget list`")
    typer.echo(f"Budget removed: {period} budget for {_plain(budget.scope)}")


@budget_app.command("list", cls=LLMRingCommand, short_help="Budgets with spent, limit and when they reset.")
def list_budgets(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every budget: its scope and period, spent and in flight against the limit, and when it resets."""
    from llmring.cli.output import Column, choose_format, note, print_json, print_rows

    async def action(store: Store) -> list[BudgetUse]:
        return await store.budget_uses(await store.list_budgets())

    uses = run_with_store(ctx, action)
    chosen = choose_format(None, as_json)
    if as_json:
        print_json([_use_json(use) for use in uses])
        return
    if not uses:
        note("No budgets: set one with `llmring budget set --daily 5 --origin my-app`.")
        return
    columns = [
        Column("Budget", min_width=12),
        Column("Spent", number=True),
        Column("In flight", number=True),
        Column("Limit", number=True),
        Column("Used", number=True),
        Column("Resets in", number=True),
        Column("Warn", number=True, drop=1),
        Column("Unpriced", drop=2),
    ]
    print_rows(columns, (_cells(use) for use in uses), chosen, caption="Periods are UTC days, weeks and months")


def _plain(text: str) -> str:
    from llmring.formatting import inert

    return inert(text)


def _cells(use: BudgetUse) -> list[str]:
    from llmring import formatting as fmt

    budget = use.budget
    return [
        f"{budget.scope} ({budget.period})",
        fmt.money(use.spent),
        fmt.money(use.in_flight),
        fmt.money(budget.limit),
        fmt.percent(use.used / budget.limit),
        fmt.duration(use.resets_in.total_seconds()),
        fmt.NONE if budget.warn_at is None else f"{budget.warn_at:.0%}",
        budget.unpriced,
    ]


def _use_json(use: BudgetUse) -> dict[str, Any]:
    budget = use.budget
    return {
        "id": budget.id,
        "period": budget.period,
        "origin": budget.origin,
        "user": budget.user,
        "tag": "=".join(budget.tag) if budget.tag else None,
        "limit": budget.limit,
        "spent": use.spent,
        "in_flight": use.in_flight,
        "warn_at": budget.warn_at,
        "unpriced": budget.unpriced,
        "resets_at": budget.resets_at(use.now),
    }


def register(app: typer.Typer) -> None:
    """Add the ``budget`` group to the app."""
    app.add_typer(budget_app, name="budget", short_help="Spending limits checked before each call.")
