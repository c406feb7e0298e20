-- Version 6: what each trial needs of a machine (resources: in the study; all zero when undeclared), so a worker
-- claims only what fits its free capacity; a hard memory limit; and what the trial used (measured while it ran).
ALTER TABLE trials ADD COLUMN cpus INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN memory INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN gpu_milli INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN memory_limit INTEGER;
ALTER TABLE trials ADD COLUMN usage TEXT;
