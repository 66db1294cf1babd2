-- A cleared phase starts a new try whose gate attempts count from 1 again: evidence packs are unique
-- per (run, phase, try, attempt), not per (run, phase, attempt).
ALTER TABLE evidence_packs DROP CONSTRAINT evidence_packs_run_id_phase_attempt_key;
ALTER TABLE evidence_packs ADD COLUMN phase_try integer NOT NULL DEFAULT 1 CHECK (phase_try >= 1);
ALTER TABLE evidence_packs
    ADD CONSTRAINT evidence_packs_run_phase_try_attempt_key UNIQUE (run_id, phase, phase_try, attempt);
