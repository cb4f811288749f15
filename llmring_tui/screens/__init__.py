"""The dashboard's screens: one per mode (models, calls, stats) plus the details and help modals."""
