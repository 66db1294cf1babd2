-- The run ledger: append-only, hash-chained per run, idempotent per entry.
--
-- Each entry's body is the canonical JSON the application hashed: {run_id, type, idempotency_key,
-- data, provenance}. Its key columns are generated from the body, so they cannot disagree with it;
-- query data with (body::jsonb) -> 'data'.
--   entry_hash = sha256(body)
--   chain_hash = sha256(prev_hash || ':' || seq || ':' || entry_hash), prev_hash of seq 1 = 64 zeros
-- ledger_heads holds the last (seq, chain_hash) of each run; it serialises appends and lets
-- `ideamine ledger verify` notice a truncated tail.

CREATE TABLE ledger (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq              bigint NOT NULL CHECK (seq >= 1),
    body             text NOT NULL,
    run_id           text GENERATED ALWAYS AS ((body::jsonb) ->> 'run_id') STORED NOT NULL
                     REFERENCES runs (id),
    type             text GENERATED ALWAYS AS ((body::jsonb) ->> 'type') STORED NOT NULL
                     CHECK (type IN ('task', 'gate', 'decision', 'artifact', 'cost', 'signature')),
    idempotency_key  text GENERATED ALWAYS AS ((body::jsonb) ->> 'idempotency_key') STORED NOT NULL
                     CHECK (length(idempotency_key) BETWEEN 1 AND 500),
    entry_hash       char(64) NOT NULL,
    prev_hash        char(64) NOT NULL,
    chain_hash       char(64) NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (run_id, seq),
    UNIQUE (run_id, idempotency_key)
);
CREATE INDEX ledger_run_type_idx ON ledger (run_id, type, seq);
CREATE INDEX ledger_run_time_idx ON ledger (run_id, recorded_at);

CREATE TABLE ledger_heads (
    run_id      text PRIMARY KEY REFERENCES runs (id),
    seq         bigint NOT NULL CHECK (seq >= 0),
    chain_hash  char(64) NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- A head only ever moves forward.
CREATE FUNCTION ledger_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.run_id <> OLD.run_id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'ledger head of run % may only move forward', OLD.run_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_heads_forward BEFORE UPDATE ON ledger_heads
    FOR EACH ROW EXECUTE FUNCTION ledger_head_forward_only();
CREATE TRIGGER ledger_heads_no_delete BEFORE DELETE ON ledger_heads
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_heads_no_truncate BEFORE TRUNCATE ON ledger_heads
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- Append entries of one run in order; an entry whose idempotency key is already in the run is not
-- appended again, and the stored entry is returned instead. The run's head row is locked once and
-- updated once per call, so a batch costs one lock and one head update.
-- SECURITY DEFINER: the application role may call it but cannot write ledger tables directly.
CREATE FUNCTION ledger_append_many(p_bodies text[])
RETURNS TABLE (entry_id uuid, entry_seq bigint, entry_chain_hash text, inserted boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_run    text;
    v_body   text;
    v_doc    jsonb;
    v_key    text;
    v_seq    bigint;
    v_prev   text;
    v_entry  text;
    v_chain  text;
    v_id     uuid;
    v_found  record;
    v_moved  boolean := false;
BEGIN
    IF p_bodies IS NULL OR cardinality(p_bodies) = 0 THEN
        RETURN;
    END IF;
    v_run := p_bodies[1]::jsonb ->> 'run_id';
    IF v_run IS NULL THEN
        RAISE EXCEPTION 'ledger entry body needs run_id' USING ERRCODE = 'check_violation';
    END IF;

    SELECT h.seq, h.chain_hash INTO v_seq, v_prev FROM ledger_heads h WHERE h.run_id = v_run FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ledger_heads (run_id, seq, chain_hash) VALUES (v_run, 0, repeat('0', 64))
            ON CONFLICT (run_id) DO NOTHING;
        SELECT h.seq, h.chain_hash INTO v_seq, v_prev FROM ledger_heads h WHERE h.run_id = v_run FOR UPDATE;
    END IF;

    FOREACH v_body IN ARRAY p_bodies LOOP
        v_doc := v_body::jsonb;
        v_key := v_doc ->> 'idempotency_key';
        IF v_doc ->> 'run_id' IS DISTINCT FROM v_run OR v_key IS NULL THEN
            RAISE EXCEPTION 'every entry of a batch needs run_id % and an idempotency_key', v_run
                USING ERRCODE = 'check_violation';
        END IF;
        v_entry := encode(sha256(convert_to(v_body, 'UTF8')), 'hex');
        v_id := gen_random_uuid();
        INSERT INTO ledger (id, seq, body, entry_hash, prev_hash, chain_hash)
            VALUES (v_id, v_seq + 1, v_body, v_entry, v_prev,
                    encode(sha256(convert_to(v_prev || ':' || (v_seq + 1) || ':' || v_entry, 'UTF8')), 'hex'))
            ON CONFLICT (run_id, idempotency_key) DO NOTHING
            RETURNING chain_hash INTO v_chain;
        IF v_chain IS NULL THEN  -- the key is already in the run: return the stored entry
            SELECT l.id, l.seq, l.chain_hash INTO v_found
                FROM ledger l WHERE l.run_id = v_run AND l.idempotency_key = v_key;
            RETURN QUERY SELECT v_found.id, v_found.seq, v_found.chain_hash::text, false;
            CONTINUE;
        END IF;
        v_seq := v_seq + 1;
        v_prev := v_chain;
        v_chain := NULL;
        v_moved := true;
        RETURN QUERY SELECT v_id, v_seq, v_prev, true;
    END LOOP;

    IF v_moved THEN
        UPDATE ledger_heads SET seq = v_seq, chain_hash = v_prev, updated_at = clock_timestamp()
            WHERE run_id = v_run;
    END IF;
END $$;

CREATE FUNCTION ledger_append(p_body text)
RETURNS TABLE (entry_id uuid, entry_seq bigint, entry_chain_hash text, inserted boolean)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT * FROM ledger_append_many(ARRAY[p_body])
$$;
