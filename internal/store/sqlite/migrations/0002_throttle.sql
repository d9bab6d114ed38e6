-- Attempt counters (throttle.Store): one fixed window per bucket. bucket
-- is an opaque, already-hashed key; window_start is in Unix microseconds.
CREATE TABLE throttle_counters (
	bucket       TEXT    NOT NULL PRIMARY KEY,
	window_start INTEGER NOT NULL,
	hits         INTEGER NOT NULL
) STRICT;

-- ThrottlePrune deletes by window start.
CREATE INDEX throttle_counters_window_start ON throttle_counters (window_start);
