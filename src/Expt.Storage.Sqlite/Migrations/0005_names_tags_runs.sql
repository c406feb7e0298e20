-- Version 5: trials get a name (from the study's trial_name template), their own tags and a note, the invocation
-- that last ran them, and the MPI rank that ran them. Invocations (expt run, expt worker) are recorded once per
-- distinct provenance (code, command line, machine), under the hash of that provenance.
ALTER TABLE trials ADD COLUMN name TEXT;
ALTER TABLE trials ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE trials ADD COLUMN note TEXT;
ALTER TABLE trials ADD COLUMN run TEXT;
ALTER TABLE trials ADD COLUMN rank INTEGER;

CREATE TABLE runs (
    id         TEXT PRIMARY KEY,
    created    INTEGER NOT NULL,
    provenance TEXT NOT NULL
);
