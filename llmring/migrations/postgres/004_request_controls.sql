-- Issue 14 (request controls): the reasoning setting a call was sent with, as text: a level's
-- name (none, minimal, low, medium, high, xhigh, max) or a thinking budget's digits. NULL: unset.
ALTER TABLE {{tables.llm_api_calls}} ADD COLUMN IF NOT EXISTS reasoning TEXT;
