-- Version 4: trials get a name (from the study's trial_name template), their own tags and a note, the invocation
-- that last ran them, and the MPI rank that ran them. Invocations (expt run, expt worker) are recorded once per
-- distinct provenance (code, command line, machine), under the hash of that provenance.
ALTER TABLE trials ADD COLUMN name text;
ALTER TABLE trials ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE trials ADD COLUMN note text;
ALTER TABLE trials ADD COLUMN run text;
ALTER TABLE trials ADD COLUMN rank integer;

CREATE TABLE runs (
    id         text COLLATE "C" PRIMARY KEY,
    created    timestamptz NOT NULL,
    provenance text NOT NULL
);
