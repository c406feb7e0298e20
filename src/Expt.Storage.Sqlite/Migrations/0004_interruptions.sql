-- Version 4: an interrupted attempt (its runner died, its lease ran out) goes back to the queue without using up an
-- attempt; interruptions are counted, and retried or interrupted attempts are kept in a short JSON history.
ALTER TABLE trials ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN history TEXT;
