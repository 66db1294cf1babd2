-- Runs, phases, tasks and their checkpoints, events and metrics.
-- Run ids are Airflow's run_id strings. Child rows keep their run (ON DELETE RESTRICT): audit data
-- outlives nothing it describes.

CREATE TABLE runs (
    id            text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 250),
    dag_id        text NOT NULL DEFAULT 'ideamine' CHECK (length(dag_id) BETWEEN 1 AND 250),
    status        text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'success', 'failed')),
    idea          text NOT NULL DEFAULT '' CHECK (length(idea) <= 10000),
    conf          jsonb NOT NULL DEFAULT '{}'::jsonb,
    version       text NOT NULL DEFAULT '1.0.0',
    plan_hash     char(64),
    engine        text NOT NULL DEFAULT 'offline',
    started_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    CHECK (completed_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX runs_started_at_idx ON runs (started_at DESC);
CREATE INDEX runs_status_idx ON runs (status);

CREATE TABLE phases (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id            text NOT NULL REFERENCES runs (id),
    phase             text NOT NULL CHECK (phase ~ '^[a-z][a-z0-9-]*$'),
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'gating', 'passed', 'failed')),
    started_at        timestamptz,
    completed_at      timestamptz,
    budgets           jsonb NOT NULL DEFAULT '{}'::jsonb,
    usage             jsonb NOT NULL DEFAULT '{}'::jsonb,
    plan_hash         char(64),
    evidence_pack_id  uuid,
    UNIQUE (run_id, phase)
);
CREATE INDEX phases_status_idx ON phases (status);

CREATE TABLE tasks (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    phase_id           uuid NOT NULL REFERENCES phases (id),
    type               text NOT NULL CHECK (type IN ('agent', 'tool', 'guard')),
    target             text NOT NULL CHECK (length(target) BETWEEN 1 AND 200),
    idempotency_key    char(64) NOT NULL,
    input              jsonb NOT NULL DEFAULT '{}'::jsonb,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    result             jsonb,
    error              text,
    cost               jsonb,
    progress_pct       real CHECK (progress_pct BETWEEN 0 AND 100),
    eta                timestamptz,
    last_heartbeat_at  timestamptz,
    started_at         timestamptz,
    completed_at       timestamptz,
    UNIQUE (phase_id, idempotency_key)
);
CREATE INDEX tasks_status_idx ON tasks (status);
CREATE INDEX tasks_heartbeat_idx ON tasks (last_heartbeat_at) WHERE status = 'running';

-- One checkpoint per task, upserted as the task makes progress.
CREATE TABLE checkpoints (
    task_id     uuid PRIMARY KEY REFERENCES tasks (id),
    token       text NOT NULL CHECK (length(token) BETWEEN 1 AND 100),
    data        jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      text NOT NULL REFERENCES runs (id),
    phase       text,
    event_type  text NOT NULL CHECK (event_type ~ '^[a-z]+(\.[a-z_]+)+$'),
    payload     jsonb NOT NULL,
    dedupe_key  text,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (run_id, dedupe_key)
);
CREATE INDEX events_run_idx ON events (run_id, id);
CREATE INDEX events_type_idx ON events (event_type, created_at);

CREATE TABLE phase_metrics (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      text NOT NULL REFERENCES runs (id),
    phase       text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phase_metrics_run_idx ON phase_metrics (run_id, phase);
CREATE INDEX phase_metrics_created_idx ON phase_metrics (phase, created_at);
