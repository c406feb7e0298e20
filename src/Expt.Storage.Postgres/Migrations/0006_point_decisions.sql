-- Version 6: decisions about the points of adaptive studies (sequential stopping, races): one row per decided point,
-- written once, under the study's row lock, by whoever completed the trial that made the decision possible.
CREATE TABLE point_decisions (
    study_id   bigint NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    point      text COLLATE "C" NOT NULL,
    params     text NOT NULL,
    state      text NOT NULL,
    round      integer NOT NULL,
    replicates integer NOT NULL,
    p_value    double precision,
    reason     text NOT NULL,
    decided    timestamptz NOT NULL,
    PRIMARY KEY (study_id, point)
);
