"""Reading a damaged call-log row: what could be read, and the names of what could not.

A row can be damaged behind the store's back (a hand edit, a disk error, a tool that wrote a
column badly): JSON that does not parse, a cost that is not a number, a time that is not a time.
One such row must not make ``llmring calls`` or the dashboard fail on every row; the store reads
it field by field instead, leaves what it cannot read empty and names it in
``CallRecord.unreadable`` so readers show the row as damaged. Sound rows never come here: the
stores try their normal decode first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from llmring.schemas import CallRecord

# A time that cannot be read is shown as unknown; this stands in for it, flagged unreadable.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_FALLBACKS: dict[str, Any] = {"called_at": UNKNOWN_TIME, "provider": "?", "model_name": "?", "status": "error"}


def salvage_call(data: dict[str, Any], decoders: Iterable[tuple[str, Callable[[Any], Any]]]) -> CallRecord:
    """A ``CallRecord`` from a row's raw column values; every value that fails to decode or
    validate is left empty (its default, or a stand-in for a required field) and named."""
    values = dict(data)
    bad: list[str] = []
    for name, decode in decoders:
        if values.get(name) is not None:
            try:
                values[name] = decode(values[name])
            except Exception:  # a damaged value: whichever way it fails, it is unreadable
                bad.append(name)
                values[name] = _FALLBACKS.get(name)
    for _ in range(len(values) + 1):
        try:
            record = CallRecord.model_validate(values)
        except ValidationError as exc:
            failed = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not failed <= set(values) or failed <= {n for n in bad if values.get(n) == _FALLBACKS.get(n)}:
                raise
            for name in failed:
                bad.append(name)
                if name in _FALLBACKS:
                    values[name] = _FALLBACKS[name]
                else:
                    values.pop(name)
        else:
            record._unreadable = tuple(dict.fromkeys(bad))
            return record
    raise ValueError("call row could not be read")  # pragma: no cover - each pass drops a field
