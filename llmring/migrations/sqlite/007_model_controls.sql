-- Issue 14 (request controls), the registry side: the fields that say how a model is driven
-- (native structured output, how reasoning is set and to what, its thinking-budget range, the
-- shortest prompt a provider caches, Responses-only models) and the entry's note. Before this
-- migration a store kept none of them, so every stored model read back without its controls;
-- opening a store that applies it re-syncs its models' controls from the bundled registry
-- (llmring/_store/registry_upgrade.py).
ALTER TABLE llm_models ADD COLUMN supports_structured_output INTEGER NOT NULL DEFAULT 0;
ALTER TABLE llm_models ADD COLUMN reasoning_control TEXT;
-- JSON text: the reasoning levels the model takes, in the registry's order.
ALTER TABLE llm_models ADD COLUMN reasoning_levels TEXT;
ALTER TABLE llm_models ADD COLUMN reasoning_budget_min INTEGER;
ALTER TABLE llm_models ADD COLUMN reasoning_budget_max INTEGER;
ALTER TABLE llm_models ADD COLUMN prompt_cache_min_tokens INTEGER;
ALTER TABLE llm_models ADD COLUMN responses_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE llm_models ADD COLUMN note TEXT;
