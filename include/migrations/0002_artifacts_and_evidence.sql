-- Content-addressed artifacts with lineage, evidence packs, Q/A/V results, waivers and dossiers.

-- Bodies are stored once per distinct content, keyed by their SHA-256.
CREATE TABLE artifact_blobs (
    hash        char(64) PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    content     bytea NOT NULL,
    CHECK (octet_length(content) = size_bytes)
);

CREATE TABLE artifacts (
    id          uuid PRIMARY KEY,
    run_id      text NOT NULL REFERENCES runs (id),
    phase       text NOT NULL,
    type        text NOT NULL CHECK (type ~ '^[A-Za-z][A-Za-z0-9_.-]*$'),
    hash        char(64) NOT NULL REFERENCES artifact_blobs (hash),
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    media_type  text NOT NULL DEFAULT 'application/json',
    provenance  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artifacts_run_idx ON artifacts (run_id, phase, type);
CREATE INDEX artifacts_hash_idx ON artifacts (hash);
CREATE INDEX artifacts_provenance_source_idx ON artifacts ((provenance ->> 'source'));

-- Lineage edges: artifact_id was made from input_id. Walked with a recursive query over ids.
CREATE TABLE artifact_inputs (
    artifact_id  uuid NOT NULL REFERENCES artifacts (id),
    input_id     uuid NOT NULL REFERENCES artifacts (id),
    PRIMARY KEY (artifact_id, input_id),
    CHECK (artifact_id <> input_id)
);
CREATE INDEX artifact_inputs_input_idx ON artifact_inputs (input_id);

CREATE TABLE evidence_packs (
    id             uuid PRIMARY KEY,
    run_id         text NOT NULL REFERENCES runs (id),
    phase          text NOT NULL,
    attempt        integer NOT NULL CHECK (attempt >= 1),
    artifacts      jsonb NOT NULL CHECK (jsonb_typeof(artifacts) = 'array'),
    guard_reports  jsonb NOT NULL CHECK (jsonb_typeof(guard_reports) = 'array'),
    qav_summary    jsonb,
    kmap_refs      jsonb NOT NULL DEFAULT '[]'::jsonb,
    metrics        jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, phase, attempt)
);

ALTER TABLE phases
    ADD CONSTRAINT phases_evidence_pack_fk FOREIGN KEY (evidence_pack_id) REFERENCES evidence_packs (id);

CREATE TABLE assumptions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id              text NOT NULL REFERENCES runs (id),
    phase               text NOT NULL,
    question_id         text NOT NULL,
    assumption          text NOT NULL,
    rationale           text,
    mitigation          jsonb NOT NULL DEFAULT '[]'::jsonb,
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'validated', 'invalidated')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    validated_at        timestamptz,
    UNIQUE (run_id, phase, question_id)
);
CREATE INDEX assumptions_status_idx ON assumptions (run_id, status);

-- Atomic facts accepted by Q/A/V (the refinery's output).
CREATE TABLE knowledge_frames (
    id           uuid PRIMARY KEY,
    run_id       text NOT NULL REFERENCES runs (id),
    phase        text NOT NULL,
    question_id  text NOT NULL,
    frame_type   text NOT NULL DEFAULT 'fact' CHECK (frame_type IN ('fact', 'decision', 'constraint')),
    content      text NOT NULL,
    citations    jsonb NOT NULL DEFAULT '[]'::jsonb,
    confidence   real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_frames_run_idx ON knowledge_frames (run_id, phase);

-- Waivers are policy: declared ahead, scoped to a run (or every run when run_id is NULL).
CREATE TABLE waivers (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id                text REFERENCES runs (id),
    phase                 text NOT NULL,
    violation_type        text NOT NULL,
    owner                 text NOT NULL CHECK (length(owner) > 0),
    expires_at            timestamptz NOT NULL,
    compensating_control  text NOT NULL CHECK (length(compensating_control) > 0),
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- never waivable, whatever policy says
    CHECK (violation_type NOT IN ('critical_cve', 'secrets_detected', 'critical_sast'))
);
CREATE INDEX waivers_lookup_idx ON waivers (phase, violation_type, expires_at) WHERE status = 'active';

CREATE TABLE release_dossiers (
    id          uuid PRIMARY KEY,
    run_id      text NOT NULL UNIQUE REFERENCES runs (id),
    version     text NOT NULL CHECK (version ~ '^\d+\.\d+\.\d+'),
    content     text NOT NULL,
    hash        char(64) NOT NULL,
    signature   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
