"""When a command's time option points: a date, a time or an age (``--since``, ``--older-than``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None, *, option: str = "--since") -> datetime:
    """``2026-11-01`` / ``2026-11-01T12:00`` (UTC unless an offset is given) or ``30m``/``12h``/``7d``/``2w``
    ago; anything else is a one-line ``ConfigurationError`` naming ``option``."""
    from llmring.errors import ConfigurationError

    value = text.strip().lower()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"{option} {text!r}: use a date (2026-11-01), a time (2026-11-01T12:00) or an age (30m, 12h, 7d, 2w)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
