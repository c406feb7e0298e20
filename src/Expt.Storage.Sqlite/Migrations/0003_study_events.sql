-- Version 3: events kept with a study (Slurm submissions, ...).
CREATE TABLE study_events (
    id       INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    time     INTEGER NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX study_events_study ON study_events (study_id, kind, id);
