-- Authentication methods (enrol.AuthMethodStore): the last dynamic-code
-- step each resident used, and the sign-in methods residents locked.
-- Times are Unix microseconds (UTC) in BIGINT; text uses the "C"
-- collation: bytewise, as on SQLite.

-- The time step of the last dynamic code accepted for a resident. A code
-- is accepted only if its step is greater (RFC 6238 section 5.2: a code is
-- single use); the comparison is in the one upsert statement, so two
-- nodes cannot both accept one code.
CREATE TABLE dynamic_code_steps (
	resident_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	last_step   BIGINT           NOT NULL,
	updated_at  BIGINT           NOT NULL
);

-- One row per locked method ("password", "dynamic-code", "wallet", or
-- "account" for the whole account); unlocking deletes the row.
CREATE TABLE resident_locks (
	resident_id TEXT COLLATE "C" NOT NULL,
	method      TEXT COLLATE "C" NOT NULL,
	locked_at   BIGINT           NOT NULL,
	PRIMARY KEY (resident_id, method)
);
