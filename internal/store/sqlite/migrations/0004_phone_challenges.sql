-- One-time phone codes (phone.Store): one challenge per (binding, purpose).
-- number_index and code_hash are keyed hashes (blind index, code MAC), never
-- the number or the code; the key is not in the database. Times are Unix
-- microseconds (UTC); version is the compare-and-set counter.
CREATE TABLE phone_challenges (
	binding_id   TEXT    NOT NULL,
	purpose      TEXT    NOT NULL,
	number_index BLOB    NOT NULL,
	code_hash    BLOB    NOT NULL,
	state        TEXT    NOT NULL,
	attempts     INTEGER NOT NULL,
	sent_at      INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	resend_at    INTEGER NOT NULL,
	window_start INTEGER NOT NULL,
	sends        INTEGER NOT NULL,
	keep_until   INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	PRIMARY KEY (binding_id, purpose)
) STRICT;

-- PrunePhoneChallenges deletes by keep_until. DeletePhoneChallenges uses
-- the primary key, which binding_id leads.
CREATE INDEX phone_challenges_keep_until ON phone_challenges (keep_until);
