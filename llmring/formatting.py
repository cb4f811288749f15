"""How llmring writes numbers, money, times and logged text for people: one vocabulary for CLI and TUI.

Pure functions over plain values (no Rich, no Textual), so ``llmring calls``, ``llmring stats``
and the dashboard say the same thing the same way:

* money: ``$1,234.50``, ``$0.50``, ``$0.00045`` (three significant digits below a dollar), ``$0``;
  a call's cost cell is ``cached`` for a cache hit and ``unpriced`` for a success with no price;
* registry prices per million tokens exactly as curated: ``$2.50``, ``$0.075``, ``free``;
* counts with thousands separators, latencies as ``850 ms`` / ``1.24 s``;
* times in UTC unless the caller passes another zone, always with the zone's name available;
* ``inert(text)``: text from the ledger or a provider with its control characters made visible,
  so an escape sequence in a model name, user id or reply can never drive the terminal.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from llmring.schemas import CallRecord

NONE = "—"
CACHED = "cached"
UNPRICED = "unpriced"
UNREADABLE = "unreadable"

# -- inert text ----------------------------------------------------------------------------------
# C0 controls and DEL become their Unicode "control pictures" (ESC is ␛), C1 controls (which some
# terminals read as CSI/OSC introducers) and the bidirectional overrides (which reorder what the
# reader sees) become \x9b / \u202e. Line and paragraph separators are shown as \u2028 too.
_VISIBLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_VISIBLE[0x7F] = "␡"
_VISIBLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
_VISIBLE.update({code: f"\\u{code:04x}" for code in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F))})
_VISIBLE.update({code: f"\\u{code:04x}" for code in range(0x2066, 0x206A)})
_KEEP_LINES = {code: value for code, value in _VISIBLE.items() if code not in (0x09, 0x0A)}


def inert(text: str, *, multiline: bool = False) -> str:
    """``text`` safe to write to a terminal: every control character made visible.

    One line (table cells, names, ids) by default: a newline shows as ``␊``. With ``multiline``
    newlines and tabs are kept (answers, error messages, metadata); a carriage return, which could
    overwrite what was printed, is still shown as ``␍``. Costs about 0.1 µs for clean short text.
    """
    if text.isprintable():
        return text
    return text.translate(_KEEP_LINES if multiline else _VISIBLE)


# -- money -----------------------------------------------------------------------------------------
def money(value: Decimal | None) -> str:
    """Dollars for people: ``$1,234.50``, ``$0.50``, ``$0.0123``, ``$0.00045``, ``$0``; ``—`` for None.

    From a dollar up: cents and thousands separators. Below: three significant digits (at least
    two decimals), so a fraction of a cent is never shown as ``$0.00`` nor with twelve digits.
    """
    if value is None:
        return NONE
    if not value.is_finite():
        return str(value)
    if value == 0:
        return "$0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1:
        return f"{sign}${magnitude.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    decimals = max(2, 2 - magnitude.adjusted())
    rounded = magnitude.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if rounded >= 1:
        return f"{sign}$1.00"
    whole, _, fraction = f"{rounded:f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{sign}${whole}.{fraction}"


def cost_cell(record: CallRecord) -> str:
    """A logged call's cost: ``cached`` (a cache hit), ``unpriced`` (a success with no price),
    ``—`` (a failure, nothing billed), ``unreadable`` (a damaged row) or the amount."""
    if "estimated_cost" in record.unreadable:
        return UNREADABLE
    if record.cache_hit:
        return CACHED
    if record.estimated_cost is None:
        return UNPRICED if record.status == "success" else NONE
    return money(record.estimated_cost)


def via_alias(record: CallRecord) -> str:
    """`` (fast #2)`` after a model called through an alias (its name and which model of its chain
    this row is), else nothing (issue 15)."""
    if not record.alias:
        return ""
    return f" ({record.alias} #{record.hop})" if record.hop else f" ({record.alias})"


def attempt_outcome(record: CallRecord) -> str:
    """What followed a row: ``final`` (it carries the call's outcome), ``retried`` (the same model
    again) or, through an alias, ``the call went on`` (a retry or the chain's next model)."""
    if record.final:
        return "final"
    return "the call went on" if record.hop else "retried"


def group_cost(
    cost: Decimal,
    *,
    calls: int,
    unpriced: int,
    errors: int = 0,
    cache_hits: int = 0,
    money_text: Callable[[Decimal], str] | None = None,
) -> str:
    """A group's total cost, saying when some or all of its successes could not be priced:
    ``$0.12``, ``$0.12 +3 unpriced``, ``unpriced`` (``money_text`` writes the amount)."""
    amount = (money_text or money)(cost)
    if not unpriced:
        return amount
    if cost == 0 and unpriced == calls - errors - cache_hits:
        return UNPRICED
    return f"{amount} +{unpriced:,} {UNPRICED}"


def price(value: Decimal | None) -> str:
    """A registry price per million tokens, exactly as curated: ``$2.50``, ``$0.075``, ``free``, ``—``."""
    if value is None:
        return NONE
    if value == 0:
        return "free"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return f"${value:,.2f}"
    return f"${value.normalize():f}"


# -- counts, rates, durations ----------------------------------------------------------------------
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


def ago(seconds: float) -> str:
    """How long ago, coarsely: ``0 s``, ``42 s``, ``3 min``, ``2 h``."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def duration(seconds: float) -> str:
    """A time to come, to the minute: ``12 min``, ``3 h 20 min``, ``5 d 8 h`` (budget resets)."""
    minutes = int(max(seconds, 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def yes_no(flag: bool) -> str:
    """``yes`` or ``no``."""
    return "yes" if flag else "no"


# -- times -----------------------------------------------------------------------------------------
def local_zone() -> tzinfo:
    """This machine's time zone (what ``--local`` shows)."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def zone_name(tz: tzinfo | None, when: datetime | None = None) -> str:
    """How a zone is labelled: ``UTC``, ``CET``, or ``UTC+05:30`` when it has no abbreviation."""
    if tz is None or tz is UTC:
        return "UTC"
    moment = (when or datetime.now(UTC)).astimezone(tz)
    name = moment.tzname() or ""
    if name and not name.startswith(("+", "-")) and not name.upper().startswith("UTC"):
        return name
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def damage(record: CallRecord) -> str:
    """``damaged: request_metadata, estimated_cost`` for a row a store could not fully read, else ``""``."""
    return f"damaged: {', '.join(record.unreadable)}" if record.unreadable else ""


def call_time(record: CallRecord, tz: tzinfo | None = None) -> str:
    """A logged call's time (``timestamp``), or ``—`` when the row's time could not be read."""
    return NONE if "called_at" in record.unreadable else timestamp(record.called_at, tz)


def timestamp(value: datetime | None, tz: tzinfo | None = None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in ``tz`` (UTC when None); label the column with ``zone_name(tz)``."""
    if value is None:
        return NONE
    return value.astimezone(tz or UTC).strftime("%Y-%m-%d %H:%M:%S")
