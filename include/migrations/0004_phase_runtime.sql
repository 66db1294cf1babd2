-- What a running phase needs between its tasks: its working state, atomic usage counters, and
-- idempotent usage charges; dossiers keep every distinct build of a run.

-- state: the phase's current draft ({"sections": ..., "artifacts": {type: id}, "qav": ..., "guards": ...}).
-- It is working data, rewritten on re-runs; the audit trail of every version is in the ledger.
ALTER TABLE phases
    ADD COLUMN state         jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN tokens_used   bigint NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
    ADD COLUMN tool_seconds  double precision NOT NULL DEFAULT 0 CHECK (tool_seconds >= 0),
    ADD COLUMN usd           numeric(14, 6) NOT NULL DEFAULT 0 CHECK (usd >= 0),
    ADD COLUMN try_number    integer NOT NULL DEFAULT 0;

-- One row per unit of work charged to a phase budget; the key makes a retried charge a no-op.
CREATE TABLE usage_charges (
    run_id        text NOT NULL REFERENCES runs (id),
    phase         text NOT NULL,
    charge_key    text NOT NULL CHECK (length(charge_key) BETWEEN 1 AND 500),
    model         text NOT NULL,
    tokens_in     bigint NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out    bigint NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    tool_seconds  double precision NOT NULL DEFAULT 0 CHECK (tool_seconds >= 0),
    usd           numeric(14, 6) NOT NULL DEFAULT 0 CHECK (usd >= 0),
    estimated     boolean NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, charge_key)
);
CREATE INDEX usage_charges_phase_idx ON usage_charges (run_id, phase);

-- A cleared and re-run phase may change measured reports, so a run can have several dossiers;
-- the newest is current and each is signed.
ALTER TABLE release_dossiers DROP CONSTRAINT release_dossiers_run_id_key;
ALTER TABLE release_dossiers
    ADD COLUMN html_hash  char(64),
    ADD COLUMN key_fingerprint text;
ALTER TABLE release_dossiers ADD CONSTRAINT release_dossiers_run_hash_key UNIQUE (run_id, hash);
CREATE INDEX release_dossiers_run_idx ON release_dossiers (run_id, created_at DESC);
