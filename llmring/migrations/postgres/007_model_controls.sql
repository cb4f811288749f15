-- Issue 14 (request controls), the registry side: the fields that say how a model is driven
-- (native structured output, how reasoning is set and to what, its thinking-budget range, the
-- shortest prompt a provider caches, Responses-only models) and the entry's note. Before this
-- migration a store kept none of them, so every stored model read back without its controls;
-- opening a store that applies it re-syncs its models' controls from the bundled registry
-- (llmring/_store/registry_upgrade.py).
ALTER TABLE {{tables.llm_models}}
    ADD COLUMN IF NOT EXISTS supports_structured_output BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS reasoning_control TEXT,
    -- the reasoning levels the model takes, in the registry's order
    ADD COLUMN IF NOT EXISTS reasoning_levels JSONB,
    ADD COLUMN IF NOT EXISTS reasoning_budget_min INTEGER,
    ADD COLUMN IF NOT EXISTS reasoning_budget_max INTEGER,
    ADD COLUMN IF NOT EXISTS prompt_cache_min_tokens INTEGER,
    ADD COLUMN IF NOT EXISTS responses_only BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS note TEXT;
