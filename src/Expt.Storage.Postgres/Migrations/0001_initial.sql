-- Expt store on PostgreSQL, version 1. Times are timestamptz; ids of trials are 8 hex characters, unique in the store.
-- Ids and keys are hex: they compare bytewise (COLLATE "C"), which keeps their random-order index inserts cheap
-- whatever the database's locale.
CREATE TABLE studies (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text,
    tags        text[] NOT NULL DEFAULT '{}',
    spec        text NOT NULL,
    fingerprint text NOT NULL,
    seed        bigint NOT NULL,
    created     timestamptz NOT NULL,
    provenance  text
);

CREATE TABLE trials (
    id           text COLLATE "C" PRIMARY KEY,
    -- No foreign key: its per-row check costs a fifth of a bulk enqueue; DeleteStudyAsync removes a study's trials.
    study_id     bigint NOT NULL,
    key          text COLLATE "C" NOT NULL,
    seq          bigint NOT NULL,
    replicate    integer NOT NULL,
    params       text NOT NULL,
    seed         bigint NOT NULL,
    priority     integer NOT NULL DEFAULT 0,
    status       text NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 1,
    lease_owner  text,
    lease_token  bigint,
    lease_until  timestamptz,
    heartbeat    timestamptz,
    host         text,
    pid          integer,
    created      timestamptz NOT NULL,
    started      timestamptz,
    finished     timestamptz,
    duration_ms  double precision,
    results      text,
    error        text,
    exit_code    integer,
    provenance   text
);

-- Idempotent enqueue: one trial per key and study (INSERT ... ON CONFLICT (study_id, key) DO NOTHING).
CREATE UNIQUE INDEX trials_study_key ON trials (study_id, key);
-- Claims: partial, so it holds only the queue and its size, not the study's, sets the claim's cost. A worker without
-- --study reads it in the same order: oldest study (lowest id) first, then priority, then plan order.
CREATE INDEX trials_pending ON trials (study_id, priority DESC, seq) WHERE status = 'pending';
-- Listings of a study in plan order.
CREATE INDEX trials_study_seq ON trials (study_id, seq);
-- Expired leases and live workers: only running trials are indexed.
CREATE INDEX trials_leases ON trials (lease_until) WHERE status = 'running';

-- Fencing tokens: strictly increasing, so a newer lease always carries a larger token.
CREATE SEQUENCE lease_tokens;

-- Step metrics in chunks of packed little-endian arrays (steps int64, values float64, times int64 Unix ms).
CREATE TABLE metric_chunks (
    trial_id text COLLATE "C" NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name     text NOT NULL,
    seq      integer NOT NULL,
    count    integer NOT NULL,
    steps    bytea NOT NULL,
    vals     bytea NOT NULL,
    times    bytea NOT NULL,
    PRIMARY KEY (trial_id, name, seq)
);

-- Small files of trials (logs, artifacts) kept in the store, so they can be read from any machine.
CREATE TABLE trial_files (
    trial_id text COLLATE "C" NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    path     text NOT NULL,
    size     bigint NOT NULL,
    content  bytea NOT NULL,
    PRIMARY KEY (trial_id, path)
);
