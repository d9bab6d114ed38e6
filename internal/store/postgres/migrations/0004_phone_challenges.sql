-- One-time phone codes (phone.Store): one challenge per (binding, purpose).
-- number_index and code_hash are keyed hashes (blind index, code MAC), never
-- the number or the code; the key is not in the database. Times are Unix
-- microseconds (UTC) in BIGINT; version is the compare-and-set counter.
CREATE TABLE phone_challenges (
	binding_id   TEXT COLLATE "C" NOT NULL,
	purpose      TEXT COLLATE "C" NOT NULL,
	number_index BYTEA            NOT NULL,
	code_hash    BYTEA            NOT NULL,
	state        TEXT COLLATE "C" NOT NULL,
	attempts     BIGINT           NOT NULL,
	sent_at      BIGINT           NOT NULL,
	expires_at   BIGINT           NOT NULL,
	resend_at    BIGINT           NOT NULL,
	window_start BIGINT           NOT NULL,
	sends        BIGINT           NOT NULL,
	keep_until   BIGINT           NOT NULL,
	version      BIGINT           NOT NULL,
	PRIMARY KEY (binding_id, purpose)
);

-- PrunePhoneChallenges deletes by keep_until. DeletePhoneChallenges uses
-- the primary key, which binding_id leads.
CREATE INDEX phone_challenges_keep_until ON phone_challenges (keep_until);
