-- llmring SQLite schema, version 1.
--
-- Representation (shared by every query in llmring/_sqlite and llmring/db_sqlite.py):
--   * timestamps: UTC ISO-8601 text in one fixed format, 'YYYY-MM-DDTHH:MM:SS.ffffffZ', so that
--     string comparison is time order and substr(ts, 1, 10) is the UTC day;
--   * registry prices: exact decimal text ('0.15', '0'); NULL means "price unknown";
--   * call costs: INTEGER picodollars (1e-12 $), exact and summable; NULL means "unpriced";
--   * JSON columns: compact JSON text; booleans: 0/1.

CREATE TABLE llm_models (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    model_name TEXT NOT NULL,
    display_name TEXT,
    description TEXT,
    max_context INTEGER,
    max_output_tokens INTEGER,
    supports_vision INTEGER NOT NULL DEFAULT 0,
    supports_function_calling INTEGER NOT NULL DEFAULT 0,
    supports_json_mode INTEGER NOT NULL DEFAULT 0,
    supports_parallel_tool_calls INTEGER NOT NULL DEFAULT 0,
    supports_pdf INTEGER NOT NULL DEFAULT 0,
    supports_streaming INTEGER NOT NULL DEFAULT 1,
    supports_temperature INTEGER NOT NULL DEFAULT 1,
    is_reasoning INTEGER NOT NULL DEFAULT 0,
    tool_call_format TEXT,
    dollars_per_million_tokens_input TEXT,
    dollars_per_million_tokens_output TEXT,
    dollars_per_million_tokens_cached_input TEXT,
    dollars_per_million_tokens_cache_write_5m TEXT,
    dollars_per_million_tokens_cache_write_1h TEXT,
    dollars_per_million_tokens_reasoning TEXT,
    long_context_threshold_tokens INTEGER,
    dollars_per_million_tokens_input_long_context TEXT,
    dollars_per_million_tokens_output_long_context TEXT,
    source TEXT,
    as_of TEXT,
    inactive_from TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider, model_name)
);

CREATE TABLE llm_api_calls (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    final INTEGER NOT NULL DEFAULT 1,
    origin TEXT NOT NULL,
    id_at_origin TEXT NOT NULL,
    provider TEXT NOT NULL,
    model_name TEXT NOT NULL,
    -- ORs rather than IN (...): SQLite evaluates this CHECK several times faster that way.
    status TEXT NOT NULL CHECK (
        status = 'success' OR status = 'error' OR status = 'timeout' OR status = 'rate_limited'
    ),
    error_type TEXT,
    error_message TEXT,
    finish_reason TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    estimated_cost_pico INTEGER,
    cost_breakdown TEXT,
    rate_snapshot TEXT,
    dollars_per_million_tokens_input_used TEXT,
    dollars_per_million_tokens_output_used TEXT,
    response_time_ms INTEGER,
    time_to_first_token_ms INTEGER,
    stream INTEGER NOT NULL DEFAULT 0,
    temperature REAL,
    max_tokens INTEGER,
    tools_used TEXT,
    json_mode INTEGER NOT NULL DEFAULT 0,
    response_format TEXT,
    cache_hit INTEGER NOT NULL DEFAULT 0,
    cache_savings_pico INTEGER,
    request_id TEXT,
    request_metadata TEXT,
    called_at TEXT NOT NULL
);

CREATE INDEX idx_llm_api_calls_recent ON llm_api_calls (called_at DESC, id DESC);
CREATE INDEX idx_llm_api_calls_origin ON llm_api_calls (origin, id_at_origin, called_at DESC);
CREATE INDEX idx_llm_api_calls_model ON llm_api_calls (provider, model_name, called_at DESC);
CREATE INDEX idx_llm_api_calls_status ON llm_api_calls (status, called_at DESC);

-- One row per (origin, user, UTC day, provider, model), kept current in the same transaction as
-- every insert into llm_api_calls. "calls" and the outcome counters count final rows only;
-- tokens, cost and savings sum every row (attempt rows included); "rows" counts every row.
CREATE TABLE llm_usage_daily (
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
    PRIMARY KEY (origin, id_at_origin, day, provider, model_name)
) WITHOUT ROWID;

CREATE INDEX idx_llm_usage_daily_day ON llm_usage_daily (day);

CREATE TABLE llm_response_cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX idx_llm_response_cache_expires ON llm_response_cache (expires_at);
