-- Wrapped per-resident data keys (envelope.Store). Times are Unix
-- microseconds (UTC) in 64-bit integers, identical on both engines. STRICT
-- makes SQLite refuse a value of the wrong type instead of storing it.
CREATE TABLE data_keys (
	owner      TEXT    NOT NULL PRIMARY KEY,
	kek_id     TEXT    NOT NULL,
	wrapped    BLOB    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- Re-wrapping after a KEK rotation pages through one KEK's keys by owner.
CREATE INDEX data_keys_kek_owner ON data_keys (kek_id, owner);
