"""Retention (issue 16): delete old call rows, keep the daily totals.

``llmring calls prune --older-than 90d`` (or the ``retention = "90d"`` config key, applied by
``llmring init-db`` and by ``llmring calls prune`` without ``--older-than``) deletes every call-log
row before the start of the UTC day ``AGE`` ago, with the captured content only those rows used
(``Store.prune_calls``). The daily rollups (``llm_usage_daily`` and its per-origin and per-tag
siblings) are kept, so ``stats`` totals stay the same:

* all time, any window that starts at a UTC midnight (``stats`` over whole days, the dashboard,
  budget periods), and any window that starts after the cutoff, are unchanged to the picodollar:
  whole days are read from the rollup alone;
* a rolling window (``stats --days N``) that starts *inside* a pruned day reads that first,
  partial day from rows that are gone, so it loses that part of a day (it is not unchanged).

SQLite deletes in batches (one short write transaction each) and then ``VACUUM``s to give the
space back; PostgreSQL deletes in batches of single statements (row locks only, so writers are
never locked out) and leaves the space to autovacuum, which makes it reusable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

PRUNE_BATCH = 5000
_AGE = re.compile(r"^(\d+)\s*([dw])$")


def parse_age(text: str) -> timedelta:
    """``90d`` or ``12w`` as a timedelta of at least a day; ``ConfigurationError`` for anything else."""
    from llmring.errors import ConfigurationError

    match = _AGE.match(str(text).strip().lower())
    if not match or int(match.group(1)) < 1:
        raise ConfigurationError(f"age {text!r}: use days or weeks, at least one day (90d, 12w)")
    amount = int(match.group(1))
    return timedelta(days=amount if match.group(2) == "d" else 7 * amount)


def prune_cutoff(age: timedelta, now: datetime) -> datetime:
    """The UTC midnight starting the day ``age`` before ``now``: rows before it go (whole days only)."""
    day = (now.astimezone(UTC) - age).date()
    return datetime.combine(day, time(), tzinfo=UTC)


def starts_a_day(moment: datetime) -> bool:
    """True for an aware UTC midnight (a window of whole days, which the rollups answer alone)."""
    return moment.tzinfo is not None and moment.astimezone(UTC).time() == time()


@dataclass(frozen=True)
class PruneReport:
    """What ``Store.prune_calls`` deleted (or, with ``dry_run``, would delete).

    ``rows`` call-log rows (attempts included), ``captured`` of them with captured content;
    ``bytes_before``/``bytes_after`` the SQLite file's size (None on PostgreSQL, or when the
    file could not be vacuumed because another process was writing).
    """

    cutoff: datetime
    rows: int
    captured: int
    dry_run: bool
    bytes_before: int | None = None
    bytes_after: int | None = None

    @property
    def reclaimed(self) -> int | None:
        """Bytes the file shrank by (None when not measured)."""
        if self.bytes_before is None or self.bytes_after is None:
            return None
        return self.bytes_before - self.bytes_after
