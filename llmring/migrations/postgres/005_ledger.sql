-- Issue 16 (the ledger as a control): call tags, per-tag daily totals and budgets.
-- Mirrors llmring/migrations/sqlite/005_ledger.sql:
--   * llm_api_calls.tags: JSONB, with a GIN index so `calls --tag K=V` (tags @> ...) is indexed;
--   * llm_usage_daily_tags: llm_usage_daily per tag (key, value), maintained by the statement
--     that inserts call rows (llmring/_postgres/queries.py);
--   * llm_budgets and llm_budget_holds: limits, and the worst case of each call in flight,
--     checked and reserved under a per-budget advisory lock.

ALTER TABLE {{tables.llm_api_calls}} ADD COLUMN IF NOT EXISTS tags JSONB;

CREATE INDEX IF NOT EXISTS idx_llm_api_calls_tags ON {{tables.llm_api_calls}} USING gin (tags jsonb_path_ops);

CREATE TABLE IF NOT EXISTS {{tables.llm_usage_daily_tags}} (
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    origin TEXT NOT NULL,
    id_at_origin TEXT NOT NULL,
    day DATE NOT NULL,
    provider TEXT NOT NULL,
    model_name TEXT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    calls BIGINT NOT NULL DEFAULT 0,
    successes BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    timeouts BIGINT NOT NULL DEFAULT 0,
    rate_limited BIGINT NOT NULL DEFAULT 0,
    cache_hits BIGINT NOT NULL DEFAULT 0,
    unpriced BIGINT NOT NULL DEFAULT 0,
    prompt_tokens BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    cached_tokens BIGINT NOT NULL DEFAULT 0,
    reasoning_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cost NUMERIC NOT NULL DEFAULT 0,
    cache_savings NUMERIC NOT NULL DEFAULT 0,
    latency_ms_sum BIGINT NOT NULL DEFAULT 0,
    latency_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tag_key, day, tag_value, origin, id_at_origin, provider, model_name)
);

CREATE TABLE IF NOT EXISTS {{tables.llm_budgets}} (
    id TEXT PRIMARY KEY,
    period TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
    limit_usd NUMERIC NOT NULL CHECK (limit_usd > 0),
    origin TEXT,
    id_at_origin TEXT,
    tag_key TEXT,
    tag_value TEXT,
    warn_at DOUBLE PRECISION,
    unpriced TEXT NOT NULL DEFAULT 'block' CHECK (unpriced IN ('block', 'allow')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {{tables.llm_budget_holds}} (
    budget TEXT NOT NULL,
    call_id TEXT NOT NULL,
    amount NUMERIC NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (budget, call_id)
);

CREATE INDEX IF NOT EXISTS idx_llm_budget_holds_call ON {{tables.llm_budget_holds}} (call_id);
