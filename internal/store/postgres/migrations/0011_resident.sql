-- The resident API (resident.Store): sessions of residents signed in to
-- their own account, and the one-time challenges the wallet signs to sign
-- in. Tokens and challenges are stored only as hashes. Times are Unix
-- microseconds (UTC) in BIGINT; text uses the "C" collation: bytewise, as
-- on SQLite.

-- A session: id_hash is the hash of the bearer token (or portal cookie);
-- method is how the resident signed in ("password" or "wallet") and level
-- the assurance it reached.
CREATE TABLE resident_sessions (
	id_hash     BYTEA            NOT NULL PRIMARY KEY,
	resident_id TEXT COLLATE "C" NOT NULL,
	method      TEXT COLLATE "C" NOT NULL,
	level       TEXT COLLATE "C" NOT NULL,
	created_at  BIGINT           NOT NULL,
	expires_at  BIGINT           NOT NULL
);

-- Logging out everywhere (deletion) finds a resident's sessions; pruning
-- finds the expired ones.
CREATE INDEX resident_sessions_resident ON resident_sessions (resident_id);
CREATE INDEX resident_sessions_expires ON resident_sessions (expires_at);

-- A challenge for the wallet's signed sign-in. Using it deletes the row,
-- so it is used once.
CREATE TABLE resident_challenges (
	challenge_hash BYTEA  NOT NULL PRIMARY KEY,
	created_at     BIGINT NOT NULL,
	expires_at     BIGINT NOT NULL
);

CREATE INDEX resident_challenges_expires ON resident_challenges (expires_at);
