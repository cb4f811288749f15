-- Issue 15: a call made through an alias records the alias and which model of its chain each
-- row is (hop 1 = the first). NULL for calls that named a model.
ALTER TABLE {{tables.llm_api_calls}} ADD COLUMN IF NOT EXISTS alias TEXT;
ALTER TABLE {{tables.llm_api_calls}} ADD COLUMN IF NOT EXISTS hop INTEGER;
CREATE INDEX IF NOT EXISTS idx_llm_api_calls_alias
    ON {{tables.llm_api_calls}} (alias, called_at DESC) WHERE alias IS NOT NULL;
