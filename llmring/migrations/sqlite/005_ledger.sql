-- Issue 16 (the ledger as a control): call tags, per-tag daily totals and budgets.
--
--   * llm_api_calls.tags: the call's tags as compact JSON text ({"feature":"summarise"});
--   * llm_call_tags: one row per (tag, call row), so `calls --tag K=V` finds rows by index;
--   * llm_usage_daily_tags: llm_usage_daily per tag (key, value), kept current in the same
--     transaction as every insert, so `stats --by tag:KEY` reads whole days from here;
--   * llm_budgets: spending limits per period and scope (origin, user, tag);
--   * llm_budget_holds: the worst case of each call in flight under a budget, written in the
--     same short transaction that checks the budget and deleted in the one that logs the call.

ALTER TABLE llm_api_calls ADD COLUMN tags TEXT;

CREATE TABLE llm_call_tags (
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    called_at TEXT NOT NULL,
    row_id TEXT NOT NULL,
    PRIMARY KEY (key, value, called_at, row_id)
) WITHOUT ROWID;

CREATE INDEX idx_llm_call_tags_time ON llm_call_tags (called_at);

CREATE TABLE llm_usage_daily_tags (
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    origin TEXT NOT NULL,
    id_at_origin TEXT NOT NULL,
    day TEXT NOT NULL,
    provider TEXT NOT NULL,
    model_name TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0,
    successes INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    timeouts INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    unpriced INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost_pico INTEGER NOT NULL DEFAULT 0,
    cache_savings_pico INTEGER NOT NULL DEFAULT 0,
    latency_ms_sum INTEGER NOT NULL DEFAULT 0,
    latency_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tag_key, day, tag_value, origin, id_at_origin, provider, model_name)
) WITHOUT ROWID;

CREATE TABLE llm_budgets (
    id TEXT PRIMARY KEY,
    period TEXT NOT NULL CHECK (period = 'daily' OR period = 'weekly' OR period = 'monthly'),
    limit_pico INTEGER NOT NULL CHECK (limit_pico > 0),
    origin TEXT,
    id_at_origin TEXT,
    tag_key TEXT,
    tag_value TEXT,
    warn_at REAL,
    unpriced TEXT NOT NULL DEFAULT 'block' CHECK (unpriced = 'block' OR unpriced = 'allow'),
    created_at TEXT NOT NULL
);

CREATE TABLE llm_budget_holds (
    budget TEXT NOT NULL,
    call_id TEXT NOT NULL,
    amount_pico INTEGER NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (budget, call_id)
) WITHOUT ROWID;
-- No index on call_id: the table only ever holds the calls in flight, and every reservation
-- writes it, so an index would cost each call more than it saves the (rare) release scans.
