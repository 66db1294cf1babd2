-- The run ledger: append-only, hash-chained per run, idempotent per entry.
--
-- Each entry's body is the canonical JSON the application hashed: {run_id, type, idempotency_key,
-- data, provenance}. Its columns are generated from the body, so they cannot disagree with it.
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
    data             jsonb GENERATED ALWAYS AS ((body::jsonb) -> 'data') STORED NOT NULL,
    provenance       jsonb GENERATED ALWAYS AS ((body::jsonb) -> 'provenance') STORED NOT NULL,
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

-- A head only ever moves forward by one entry.
CREATE FUNCTION ledger_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.run_id <> OLD.run_id OR NEW.seq <> OLD.seq + 1 THEN
        RAISE EXCEPTION 'ledger head of run % may only advance by one entry', OLD.run_id
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

-- Append one entry, or return the existing one when its idempotency key is already in the run.
-- SECURITY DEFINER: the application role may call it but cannot write ledger tables directly.
CREATE FUNCTION ledger_append(p_body text)
RETURNS TABLE (entry_id uuid, entry_seq bigint, entry_chain_hash text, inserted boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_doc    jsonb := p_body::jsonb;
    v_run    text := v_doc ->> 'run_id';
    v_key    text := v_doc ->> 'idempotency_key';
    v_seq    bigint;
    v_prev   text;
    v_entry  text;
    v_chain  text;
    v_id     uuid;
    v_found  record;
BEGIN
    IF v_run IS NULL OR v_key IS NULL THEN
        RAISE EXCEPTION 'ledger entry body needs run_id and idempotency_key' USING ERRCODE = 'check_violation';
    END IF;

    SELECT h.seq, h.chain_hash INTO v_seq, v_prev FROM ledger_heads h WHERE h.run_id = v_run FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ledger_heads (run_id, seq, chain_hash) VALUES (v_run, 0, repeat('0', 64))
            ON CONFLICT (run_id) DO NOTHING;
        SELECT h.seq, h.chain_hash INTO v_seq, v_prev FROM ledger_heads h WHERE h.run_id = v_run FOR UPDATE;
    END IF;

    SELECT l.id, l.seq, l.chain_hash INTO v_found
        FROM ledger l WHERE l.run_id = v_run AND l.idempotency_key = v_key;
    IF FOUND THEN
        RETURN QUERY SELECT v_found.id, v_found.seq, v_found.chain_hash::text, false;
        RETURN;
    END IF;

    v_seq := v_seq + 1;
    v_entry := encode(sha256(convert_to(p_body, 'UTF8')), 'hex');
    v_chain := encode(sha256(convert_to(v_prev || ':' || v_seq || ':' || v_entry, 'UTF8')), 'hex');
    INSERT INTO ledger (seq, body, entry_hash, prev_hash, chain_hash)
        VALUES (v_seq, p_body, v_entry, v_prev, v_chain)
        RETURNING id INTO v_id;
    UPDATE ledger_heads SET seq = v_seq, chain_hash = v_chain, updated_at = clock_timestamp()
        WHERE run_id = v_run;
    RETURN QUERY SELECT v_id, v_seq, v_chain, true;
END $$;
