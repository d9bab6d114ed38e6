-- The resident API (resident.Store): sessions of residents signed in to
-- their own account, and the one-time challenges the wallet signs to sign
-- in. Tokens and challenges are stored only as hashes. Times are Unix
-- microseconds (UTC).

-- A session: id_hash is the hash of the bearer token (or portal cookie);
-- method is how the resident signed in ("password" or "wallet") and level
-- the assurance it reached.
CREATE TABLE resident_sessions (
	id_hash     BLOB    NOT NULL PRIMARY KEY,
	resident_id TEXT    NOT NULL,
	method      TEXT    NOT NULL,
	level       TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
) STRICT;

-- Logging out everywhere (deletion) finds a resident's sessions; pruning
-- finds the expired ones.
CREATE INDEX resident_sessions_resident ON resident_sessions (resident_id);
CREATE INDEX resident_sessions_expires ON resident_sessions (expires_at);

-- A challenge for the wallet's signed sign-in. Using it deletes the row,
-- so it is used once.
CREATE TABLE resident_challenges (
	challenge_hash BLOB    NOT NULL PRIMARY KEY,
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX resident_challenges_expires ON resident_challenges (expires_at);
