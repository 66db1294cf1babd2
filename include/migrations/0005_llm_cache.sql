-- The model response cache: a validated answer under the SHA-256 of (model, prompt, schema, settings),
-- so a retry, a cleared phase or a rerun with unchanged inputs sends no request. Rows are only inserted
-- (ON CONFLICT DO NOTHING) and read; the application role gets SELECT and INSERT, nothing else.
CREATE TABLE llm_cache (
    key         char(64) PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
    model       text NOT NULL CHECK (length(model) BETWEEN 1 AND 300),
    response    text NOT NULL,  -- the validated sections as canonical JSON text, byte for byte
    tokens_in   bigint NOT NULL CHECK (tokens_in >= 0),
    tokens_out  bigint NOT NULL CHECK (tokens_out >= 0),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
