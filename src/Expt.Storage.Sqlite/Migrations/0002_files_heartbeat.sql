-- Version 2: when a lease was last renewed (for expt status), and small files of trials kept in the store.
ALTER TABLE trials ADD COLUMN heartbeat INTEGER;

CREATE TABLE trial_files (
    trial_id TEXT NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    content  BLOB NOT NULL,
    PRIMARY KEY (trial_id, path)
);
