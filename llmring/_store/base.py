"""``StoreBase``: the ``Store`` methods that are the same on both backends.

The seed's keyword forms (``record_api_call``, ``list_recent_calls``, ``get_recent_calls``) are
written here once, on top of the three methods each backend implements in its own SQL:
``record_api_calls``, ``list_calls`` and ``get_call``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmring._store.checks import record_from_fields
from llmring.errors import ConfigurationError
from llmring.schemas import CallRecord
from llmring.store import CallFilters

if TYPE_CHECKING:
    from llmring.capture import CapturedCall


class StoreBase:
    """Shared front of ``SQLiteDatabase`` and ``LLMDatabase`` (see ``llmring.store.Store``)."""

    async def record_api_calls(self, records: Sequence[CallRecord]) -> int:
        raise NotImplementedError

    async def list_calls(self, filters: CallFilters, limit: int = 100, offset: int = 0) -> list[CallRecord]:
        raise NotImplementedError

    async def get_call_contents(self, record_ids: Sequence[str]) -> dict[str, CapturedCall]:
        raise NotImplementedError

    async def get_call_content(self, record_id: str) -> CapturedCall | None:
        """What the row ``record_id`` captured (None: nothing, e.g. capture was off)."""
        return (await self.get_call_contents([record_id])).get(record_id)

    async def record_api_call(self, record: CallRecord | None = None, **fields: Any) -> str:
        """Insert one call row, given as a ``CallRecord`` or as its fields (the seed's keywords).

        The seed's ``top_p``, ``stop_sequences``, ``seed``, ``tool_choice`` and
        ``parallel_tool_calls`` go into ``request_metadata``, ``system_prompt`` as a SHA-256 hash.
        Returns the row id.
        """
        if record is None:
            record = record_from_fields(fields)
        elif fields:
            raise ConfigurationError("record_api_call takes a CallRecord or keyword fields, not both")
        await self.record_api_calls([record])
        return record.id

    async def list_recent_calls(
        self,
        origin: str | None = None,
        id_at_origin: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        model: str | None = None,
        provider: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        search: str | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[CallRecord]:
        """Rows newest first (ties by id, descending), filtered; ``before`` pages by keyset.

        ``model`` is ``provider:model`` or a bare model name; ``search`` is a case-insensitive
        substring of ``provider:model``, origin, id_at_origin or the error message. The keyword
        form of ``list_calls(CallFilters(...))``.
        """
        filters = CallFilters(
            origin=origin,
            id_at_origin=id_at_origin,
            model=model,
            provider=provider,
            status=status,
            since=since,
            search=search,
            before=before,
        )
        return await self.list_calls(filters, limit, offset)

    async def get_recent_calls(
        self, origin: str | None = None, id_at_origin: str | None = None, limit: int = 100
    ) -> list[CallRecord]:
        """The seed's name for ``list_recent_calls``."""
        return await self.list_recent_calls(origin, id_at_origin, limit)
