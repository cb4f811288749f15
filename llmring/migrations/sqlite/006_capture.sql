-- Issue 17: captured prompts and answers (LLMRing(log_content=True)), and conversations.
--
-- llm_content holds each distinct piece of content once (a message, the tool definitions, an
-- answer), keyed by the SHA-256 of what it holds; llm_call_content links a call-log row to its
-- pieces in order. The calls table only gains conversation_id, so it stays narrow.
-- llm_content_fts indexes the text for `calls --search`: an external-content FTS5 table (INTEGER
-- PRIMARY KEY ids, so the rowids it points at survive VACUUM). The store indexes each batch's new
-- pieces in one statement (six times faster than a trigger per row); a trigger unindexes deletes.

ALTER TABLE llm_api_calls ADD COLUMN conversation_id TEXT;
CREATE INDEX idx_llm_api_calls_conversation ON llm_api_calls (conversation_id, called_at)
    WHERE conversation_id IS NOT NULL;

CREATE TABLE llm_content (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,   -- SHA-256 (hex) of kind, text and extra
    kind TEXT NOT NULL,          -- system, user, assistant, tool, tools or response
    text TEXT NOT NULL,          -- the text, scrubbed of secrets
    extra TEXT                   -- JSON: attachments (type, size, sha256), tool calls, parsed output
);

CREATE TABLE llm_call_content (
    record_id TEXT NOT NULL REFERENCES llm_api_calls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    content_id INTEGER NOT NULL REFERENCES llm_content (id),
    PRIMARY KEY (record_id, position)
) WITHOUT ROWID;
CREATE INDEX idx_llm_call_content_content ON llm_call_content (content_id);

CREATE VIRTUAL TABLE llm_content_fts USING fts5 (text, content = 'llm_content', content_rowid = 'id');

CREATE TRIGGER llm_content_fts_delete AFTER DELETE ON llm_content WHEN old.kind != 'tools' BEGIN
    INSERT INTO llm_content_fts (llm_content_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
