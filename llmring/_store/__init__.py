"""What both stores share and neither driver needs: argument checks, money and JSON values, usage
totals, the registry sync plan and the call-log filter clauses.

Private to the stores: ``llmring.db_sqlite`` and ``llmring.db`` import it (through
``llmring._store.base.StoreBase`` and the modules here); nothing in it imports aiosqlite,
asyncpg or pgdbm, so each rule is written once and both backends accept, reject and compute the
same things.
"""
