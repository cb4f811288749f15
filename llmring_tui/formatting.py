"""How numbers, money and times look in the dashboard (pure functions, no Textual)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

NONE = "—"


def money(value: Decimal | None) -> str:
    """Dollars with as many decimals as a small amount needs: ``$1,234.50``, ``$0.0123``, ``$0.000045``."""
    if value is None:
        return NONE
    if value == 0:
        return "$0"
    magnitude = abs(value)
    if magnitude >= 1:
        return f"${value:,.2f}"
    if magnitude >= Decimal("0.01"):
        return f"${value:.4f}"
    if magnitude >= Decimal("0.000001"):
        return f"${value:.6f}"
    return "<$0.000001"


def price(value: Decimal | None) -> str:
    """A registry price per million tokens: ``$2.50``, ``$0.075``, ``free``, or ``—`` when unknown."""
    if value is None:
        return NONE
    if value == 0:
        return "free"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"${value:,.2f}"
    return f"${value.normalize():f}"


def count(value: int | None) -> str:
    """An integer with thousands separators (``—`` for None)."""
    return NONE if value is None else f"{value:,}"


def compact(value: int | None) -> str:
    """A token count for a narrow column: ``128k``, ``1.05M``."""
    if value is None:
        return NONE
    if value >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def percent(fraction: Decimal | float | None) -> str:
    """A fraction as a percentage with one decimal (``0.953`` -> ``95.3%``)."""
    if fraction is None:
        return NONE
    return f"{float(fraction) * 100:.1f}%"


def latency(ms: float | None) -> str:
    """Milliseconds below a second, seconds above: ``850 ms``, ``1.24 s``."""
    if ms is None:
        return NONE
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.2f} s"


def timestamp(value: datetime | None, tz: tzinfo | None) -> str:
    """A time in ``tz`` (the dashboard clock's zone) as ``YYYY-MM-DD HH:MM:SS``."""
    if value is None:
        return NONE
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def ago(seconds: float) -> str:
    """How long ago, coarsely: ``0 s``, ``42 s``, ``3 min``, ``2 h``."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def yes_no(flag: bool) -> str:
    """``yes`` or ``no``."""
    return "yes" if flag else "no"
