-- Enrolment (enrol.Store): enrolments in progress, residents, identity
-- anchors, internet numbers, guardian links and registrars. Personal data
-- is only ever stored sealed (envelope ciphertexts under the resident's
-- data key) or as keyed blind indexes; the keys are not in the database.
-- Times are Unix microseconds (UTC) in BIGINT; booleans are 0 or 1 (the
-- same SQL on both engines). Text uses the "C" collation: bytewise, as on
-- SQLite.

-- An enrolment in progress. token_hash is the hash of the capability
-- token; state follows created -> phone-verified -> face-verified ->
-- password-set -> completed; version is the compare-and-set counter.
CREATE TABLE enrolments (
	id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	token_hash        BYTEA            NOT NULL,
	resident_id       TEXT COLLATE "C" NOT NULL,
	state             TEXT COLLATE "C" NOT NULL,
	pathway           TEXT COLLATE "C" NOT NULL,
	age_group         TEXT COLLATE "C" NOT NULL,
	ceiling           TEXT COLLATE "C" NOT NULL,
	anchor_index      BYTEA            NOT NULL,
	anchor_key_id     TEXT COLLATE "C" NOT NULL,
	identity          BYTEA            NOT NULL,
	portrait          BYTEA            NOT NULL,
	phone_optional    BIGINT           NOT NULL,
	phone             BYTEA            NOT NULL,
	phone_index       BYTEA            NOT NULL,
	phone_login       BIGINT           NOT NULL,
	face_challenge    TEXT COLLATE "C" NOT NULL,
	face_challenge_at BIGINT           NOT NULL,
	face_attempts     BIGINT           NOT NULL,
	face_matched      BIGINT           NOT NULL,
	template          BYTEA            NOT NULL,
	keep_template     BIGINT           NOT NULL,
	password_hash     TEXT COLLATE "C" NOT NULL,
	csr_nonce         TEXT COLLATE "C" NOT NULL,
	number            TEXT COLLATE "C" NOT NULL,
	guardian_id       TEXT COLLATE "C" NOT NULL,
	relationship      TEXT COLLATE "C" NOT NULL,
	guardian_kind     TEXT COLLATE "C" NOT NULL,
	guardian_evidence BYTEA            NOT NULL,
	registrar_id      TEXT COLLATE "C" NOT NULL,
	assisted_kind     TEXT COLLATE "C" NOT NULL,
	created_at        BIGINT           NOT NULL,
	updated_at        BIGINT           NOT NULL,
	expires_at        BIGINT           NOT NULL,
	version           BIGINT           NOT NULL
);

-- Pruning lists enrolments by expiry.
CREATE INDEX enrolments_expires_at ON enrolments (expires_at, id);

-- An enrolled resident. internet_number is unique; phone_index, the blind
-- index of the login phone, is unique when set (NULL for none: NULLs are
-- distinct on both engines).
CREATE TABLE residents (
	id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	internet_number TEXT COLLATE "C" NOT NULL UNIQUE,
	status          TEXT COLLATE "C" NOT NULL,
	pathway         TEXT COLLATE "C" NOT NULL,
	ceiling         TEXT COLLATE "C" NOT NULL,
	identity        BYTEA            NOT NULL,
	phone           BYTEA            NOT NULL,
	phone_index     BYTEA            UNIQUE,
	password_hash   TEXT COLLATE "C" NOT NULL,
	template        BYTEA            NOT NULL,
	dynamic_secret  BYTEA            NOT NULL,
	registrar_id    TEXT COLLATE "C" NOT NULL,
	approval_hash   BYTEA            NOT NULL,
	created_at      BIGINT           NOT NULL,
	updated_at      BIGINT           NOT NULL,
	version         BIGINT           NOT NULL
);

-- One account per identity: the primary key on the anchor's blind index is
-- what makes two concurrent enrolments of one document end in one account.
-- key_id names the blind-index key, so that a rotation can re-index.
CREATE TABLE identity_anchors (
	anchor_index BYTEA            NOT NULL PRIMARY KEY,
	key_id       TEXT COLLATE "C" NOT NULL,
	resident_id  TEXT COLLATE "C" NOT NULL,
	pathway      TEXT COLLATE "C" NOT NULL,
	created_at   BIGINT           NOT NULL
);

CREATE INDEX identity_anchors_resident ON identity_anchors (resident_id, created_at);

-- Every internet number ever assigned. Rows are never deleted, so the
-- primary key keeps a retired number from being assigned again.
-- retired_at is NULL while the number is in use.
CREATE TABLE internet_numbers (
	number      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	resident_id TEXT COLLATE "C" NOT NULL,
	assigned_at BIGINT           NOT NULL,
	retired_at  BIGINT
);

-- Guardian links with their evidence (sealed under the minor's data key).
CREATE TABLE guardian_links (
	minor_id      TEXT COLLATE "C" NOT NULL,
	guardian_id   TEXT COLLATE "C" NOT NULL,
	relationship  TEXT COLLATE "C" NOT NULL,
	evidence_kind TEXT COLLATE "C" NOT NULL,
	evidence      BYTEA            NOT NULL,
	kind          TEXT COLLATE "C" NOT NULL,
	created_at    BIGINT           NOT NULL,
	PRIMARY KEY (minor_id, guardian_id)
);

CREATE INDEX guardian_links_guardian ON guardian_links (guardian_id, created_at);

-- Registrars, created by the operator. token_hash is the hash of the
-- registrar's bearer token.
CREATE TABLE registrars (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name       TEXT COLLATE "C" NOT NULL,
	token_hash BYTEA            NOT NULL UNIQUE,
	created_at BIGINT           NOT NULL
);
