-- Attempt counters (throttle.Store): one fixed window per bucket. bucket
-- is an opaque, already-hashed key; window_start is in Unix microseconds.
CREATE TABLE throttle_counters (
	bucket       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	window_start BIGINT           NOT NULL,
	hits         BIGINT           NOT NULL
);

-- ThrottlePrune deletes by window start.
CREATE INDEX throttle_counters_window_start ON throttle_counters (window_start);
