-- Expt store, version 1. Times are Unix milliseconds (UTC).
CREATE TABLE studies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT,
    tags        TEXT NOT NULL DEFAULT '[]',
    spec        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    provenance  TEXT
);

CREATE TABLE trials (
    id           TEXT PRIMARY KEY,
    study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    replicate    INTEGER NOT NULL,
    params       TEXT NOT NULL,
    seed         INTEGER NOT NULL,
    priority     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 1,
    lease_owner  TEXT,
    lease_token  INTEGER,
    lease_until  INTEGER,
    host         TEXT,
    pid          INTEGER,
    created      INTEGER NOT NULL,
    started      INTEGER,
    finished     INTEGER,
    duration_ms  REAL,
    results      TEXT,
    error        TEXT,
    exit_code    INTEGER,
    provenance   TEXT
);

-- Idempotent enqueue: one trial per key and study.
CREATE UNIQUE INDEX trials_study_key ON trials (study_id, key);
-- Claims: the next pending trials of a study in priority then plan order. Partial, so it holds only the queue:
-- finishing a trial never touches it, and it stays small however many trials a study has done.
CREATE INDEX trials_pending ON trials (study_id, priority DESC, seq) WHERE status = 'pending';
-- Listings of a study in plan order.
CREATE INDEX trials_study_seq ON trials (study_id, seq);
-- Expired leases: only running trials are indexed.
CREATE INDEX trials_leases ON trials (lease_until) WHERE status = 'running';

-- Step metrics in chunks: one row holds up to a few thousand points of one metric of one trial, as packed
-- little-endian arrays (steps int64, values float64, times int64 Unix ms). A million points are a few hundred rows.
CREATE TABLE metric_chunks (
    trial_id TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    steps    BLOB NOT NULL,
    vals     BLOB NOT NULL,
    times    BLOB NOT NULL
);
CREATE INDEX metric_chunks_trial ON metric_chunks (trial_id, name, seq);
