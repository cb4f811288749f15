"""Helpers of the PostgreSQL store (``llmring.db``): row codecs and the usage queries.

Private: only ``llmring.db`` imports these modules. Nothing here imports asyncpg or pgdbm.
"""
