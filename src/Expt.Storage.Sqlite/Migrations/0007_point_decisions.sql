-- Version 7: decisions about the points of adaptive studies (sequential stopping, races): one row per decided point,
-- written once, under the study's write lock, by whoever completed the trial that made the decision possible.
CREATE TABLE point_decisions (
    study_id   INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    point      TEXT NOT NULL,
    params     TEXT NOT NULL,
    state      TEXT NOT NULL,
    round      INTEGER NOT NULL,
    replicates INTEGER NOT NULL,
    p_value    REAL,
    reason     TEXT NOT NULL,
    decided    INTEGER NOT NULL,
    PRIMARY KEY (study_id, point)
);
