-- Version 2: events kept with a study (Slurm submissions, ...).
CREATE TABLE study_events (
    id       bigserial PRIMARY KEY,
    study_id bigint NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    kind     text NOT NULL,
    time     timestamptz NOT NULL,
    data     text NOT NULL
);
CREATE INDEX study_events_study ON study_events (study_id, kind, id);
