-- Issue 15: a call made through an alias records the alias and which model of its chain each
-- row is (hop 1 = the first). NULL for calls that named a model.
ALTER TABLE llm_api_calls ADD COLUMN alias TEXT;
ALTER TABLE llm_api_calls ADD COLUMN hop INTEGER;
CREATE INDEX idx_llm_api_calls_alias ON llm_api_calls (alias, called_at DESC) WHERE alias IS NOT NULL;
