"""Typed messages the data workers post; the screens change the UI in their handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from llmring.schemas import CallRecord
    from llmring_tui.call_views import CallDetails, CallsPage
    from llmring_tui.views import LoadError, ModelsView, StatsView


class ModelsLoaded(Message):
    """The registry finished loading."""

    def __init__(self, view: ModelsView) -> None:
        super().__init__()
        self.view = view


class CallsLoaded(Message):
    """A page of the call log finished loading."""

    def __init__(self, page: CallsPage) -> None:
        super().__init__()
        self.page = page


class CallDetailsLoaded(Message):
    """One call's full row finished loading (``details`` is None when the row is gone)."""

    def __init__(self, record_id: str, details: CallDetails | None) -> None:
        super().__init__()
        self.record_id = record_id
        self.details = details


class CallRecordLoaded(Message):
    """One call's raw row finished loading, to be copied (``record`` is None when it is gone)."""

    def __init__(self, record_id: str, record: CallRecord | None) -> None:
        super().__init__()
        self.record_id = record_id
        self.record = record


class StatsLoaded(Message):
    """Totals and breakdowns for a window finished loading."""

    def __init__(self, view: StatsView) -> None:
        super().__init__()
        self.view = view


class LoadFailed(Message):
    """A loader raised; ``error`` says what failed and what to do."""

    def __init__(self, error: LoadError) -> None:
        super().__init__()
        self.error = error
