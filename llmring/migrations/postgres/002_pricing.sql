-- Issue 12 (pricing): the new cost dimensions on the call log, the registry fields a sync now
-- keeps (aliases, dated price periods, successor, the new price dimensions), and the registry
-- version each provider's models were last brought to.

ALTER TABLE {{tables.llm_api_calls}}
    ADD COLUMN IF NOT EXISTS cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_12h_tokens INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS audio_tokens INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cached_audio_tokens INTEGER NOT NULL DEFAULT 0,
    -- The registry entry that priced the call ('provider:model_name'), and what a forced reprice replaced.
    ADD COLUMN IF NOT EXISTS priced_as TEXT,
    ADD COLUMN IF NOT EXISTS repriced_from JSONB;

ALTER TABLE {{tables.llm_models}}
    ADD COLUMN IF NOT EXISTS dollars_per_million_tokens_cache_write NUMERIC,
    ADD COLUMN IF NOT EXISTS dollars_per_million_tokens_cache_write_12h NUMERIC,
    ADD COLUMN IF NOT EXISTS dollars_per_million_tokens_input_audio NUMERIC,
    ADD COLUMN IF NOT EXISTS dollars_per_million_tokens_cached_input_audio NUMERIC,
    ADD COLUMN IF NOT EXISTS aliases JSONB,
    ADD COLUMN IF NOT EXISTS price_periods JSONB,
    ADD COLUMN IF NOT EXISTS successor TEXT;

-- One row per provider: the registry version (registry_json/<provider>.json "version") and day
-- the database's models were last brought to, and from where ('bundled', a path, URL or map).
CREATE TABLE IF NOT EXISTS {{tables.llm_registry_versions}} (
    provider TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated TEXT,
    source TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
