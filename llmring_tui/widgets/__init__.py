"""Small widgets shared by the dashboard's screens."""

from llmring_tui.widgets.chart import CostChart
from llmring_tui.widgets.keybar import KeyBar, key_label
from llmring_tui.widgets.pairs import pairs_table
from llmring_tui.widgets.panels import EmptyState, ErrorPanel, ModeBar
from llmring_tui.widgets.updated import UpdatedLabel

__all__ = ["CostChart", "EmptyState", "ErrorPanel", "KeyBar", "ModeBar", "UpdatedLabel", "key_label", "pairs_table"]
