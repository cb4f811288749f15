"""Helpers of the SQLite store (``llmring.db_sqlite``): value codecs, migrations and usage queries.

Private: only ``llmring.db_sqlite`` imports these modules.
"""
