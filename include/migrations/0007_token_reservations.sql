-- Tokens reserved by model calls in flight: a call reserves its estimate before it is sent, so
-- parallel agents cannot all pass the budget check and overrun together.
ALTER TABLE phases ADD COLUMN tokens_reserved bigint NOT NULL DEFAULT 0 CHECK (tokens_reserved >= 0);
