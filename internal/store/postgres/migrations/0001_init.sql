-- Wrapped per-resident data keys (envelope.Store). Times are Unix
-- microseconds (UTC) in BIGINT, identical on both engines. Text keys use the
-- "C" collation: bytewise order, the same as SQLite's, so that pagination by
-- owner agrees across engines and does not depend on the server's locale.
CREATE TABLE data_keys (
	owner      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	kek_id     TEXT COLLATE "C" NOT NULL,
	wrapped    BYTEA            NOT NULL,
	created_at BIGINT           NOT NULL
);

-- Re-wrapping after a KEK rotation pages through one KEK's keys by owner.
CREATE INDEX data_keys_kek_owner ON data_keys (kek_id, owner);
