-- The rows of one call (its retries and fallback hops share a call_id): `llmring calls
-- --call-id ID` and `calls show CALL_ID` find them by this index instead of scanning the log.
CREATE INDEX IF NOT EXISTS idx_llm_api_calls_call_id ON {{tables.llm_api_calls}} (call_id);
