"""Pruning old call rows on PostgreSQL (issue 16; see ``llmring.retention``).

Each batch is one statement (its own short transaction): the oldest rows before the cutoff,
through the ``called_at`` index, deleted with their captured-content links (``ON DELETE
CASCADE``). Only those rows are locked, so writers carry on. Content no remaining row links to is
deleted at the end. The rollups are not touched. The space is left to autovacuum, which makes it
reusable (a ``VACUUM FULL`` to shrink the files is the administrator's call: it locks the table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmring._postgres import forget
from llmring._postgres.codec import utc
from llmring._postgres.errors import translate_errors
from llmring.retention import PRUNE_BATCH, PruneReport

if TYPE_CHECKING:
    from datetime import datetime

    from pgdbm import AsyncDatabaseManager

_COUNT = """
SELECT COUNT(*) AS n_rows, COUNT(DISTINCT cc.record_id) AS captured
FROM {{tables.llm_api_calls}} AS c
LEFT JOIN {{tables.llm_call_content}} AS cc ON cc.record_id = c.id AND cc.position = 0
WHERE c.called_at < $1
"""
_BATCH = """
WITH gone AS (
    DELETE FROM {{tables.llm_api_calls}}
    WHERE id IN (SELECT id FROM {{tables.llm_api_calls}} WHERE called_at < $1 ORDER BY called_at LIMIT $2)
    RETURNING 1
)
SELECT COUNT(*) FROM gone
"""


class PostgresPrune:
    """``prune_calls`` of ``LLMDatabase`` (see ``llmring.store.Store``)."""

    if TYPE_CHECKING:

        async def _manager_ready(self) -> AsyncDatabaseManager: ...

    @translate_errors
    async def prune_calls(self, before: datetime, *, dry_run: bool = False, batch: int = PRUNE_BATCH) -> PruneReport:
        """Delete the rows logged before ``before`` and content only they used; keep the rollups."""
        db = await self._manager_ready()
        cutoff = utc(before)
        counted = await db.fetch_one(_COUNT, cutoff)
        assert counted is not None
        rows, captured = int(counted["n_rows"]), int(counted["captured"])
        if dry_run or not rows:
            return PruneReport(before, rows, captured, dry_run)
        while int(await db.fetch_value(_BATCH, cutoff, batch)) == batch:
            pass
        await db.execute(forget.DELETE_UNUSED)
        return PruneReport(before, rows, captured, False)
