-- Issue 12 (pricing): the new cost dimensions on the call log, the registry fields a sync now
-- keeps (aliases, dated price periods, successor, the new price dimensions), and the registry
-- version each provider's models were last brought to.

ALTER TABLE llm_api_calls ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE llm_api_calls ADD COLUMN cache_write_12h_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE llm_api_calls ADD COLUMN audio_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE llm_api_calls ADD COLUMN cached_audio_tokens INTEGER NOT NULL DEFAULT 0;
-- The registry entry that priced the call ('provider:model_name'), and what a forced reprice replaced.
ALTER TABLE llm_api_calls ADD COLUMN priced_as TEXT;
ALTER TABLE llm_api_calls ADD COLUMN repriced_from TEXT;

ALTER TABLE llm_models ADD COLUMN dollars_per_million_tokens_cache_write TEXT;
ALTER TABLE llm_models ADD COLUMN dollars_per_million_tokens_cache_write_12h TEXT;
ALTER TABLE llm_models ADD COLUMN dollars_per_million_tokens_input_audio TEXT;
ALTER TABLE llm_models ADD COLUMN dollars_per_million_tokens_cached_input_audio TEXT;
-- JSON text: a list of names, and the registry file's price_periods list.
ALTER TABLE llm_models ADD COLUMN aliases TEXT;
ALTER TABLE llm_models ADD COLUMN price_periods TEXT;
ALTER TABLE llm_models ADD COLUMN successor TEXT;

-- One row per provider: the registry version (registry_json/<provider>.json "version") and day
-- the database's models were last brought to, and from where ('bundled', a path, URL or map).
CREATE TABLE llm_registry_versions (
    provider TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated TEXT,
    source TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
