-- Enrolment (enrol.Store): enrolments in progress, residents, identity
-- anchors, internet numbers, guardian links and registrars. Personal data
-- is only ever stored sealed (envelope ciphertexts under the resident's
-- data key) or as keyed blind indexes; the keys are not in the database.
-- Times are Unix microseconds (UTC); booleans are 0 or 1 (the same SQL on
-- both engines).

-- An enrolment in progress. token_hash is the hash of the capability
-- token; state follows created -> phone-verified -> face-verified ->
-- password-set -> completed; version is the compare-and-set counter.
CREATE TABLE enrolments (
	id                TEXT    NOT NULL PRIMARY KEY,
	token_hash        BLOB    NOT NULL,
	resident_id       TEXT    NOT NULL,
	state             TEXT    NOT NULL,
	pathway           TEXT    NOT NULL,
	age_group         TEXT    NOT NULL,
	ceiling           TEXT    NOT NULL,
	anchor_index      BLOB    NOT NULL,
	anchor_key_id     TEXT    NOT NULL,
	identity          BLOB    NOT NULL,
	portrait          BLOB    NOT NULL,
	phone_optional    INTEGER NOT NULL,
	phone             BLOB    NOT NULL,
	phone_index       BLOB    NOT NULL,
	phone_login       INTEGER NOT NULL,
	face_challenge    TEXT    NOT NULL,
	face_challenge_at INTEGER NOT NULL,
	face_attempts     INTEGER NOT NULL,
	face_matched      INTEGER NOT NULL,
	template          BLOB    NOT NULL,
	keep_template     INTEGER NOT NULL,
	password_hash     TEXT    NOT NULL,
	csr_nonce         TEXT    NOT NULL,
	number            TEXT    NOT NULL,
	guardian_id       TEXT    NOT NULL,
	relationship      TEXT    NOT NULL,
	guardian_kind     TEXT    NOT NULL,
	guardian_evidence BLOB    NOT NULL,
	registrar_id      TEXT    NOT NULL,
	assisted_kind     TEXT    NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	expires_at        INTEGER NOT NULL,
	version           INTEGER NOT NULL
) STRICT;

-- Pruning lists enrolments by expiry.
CREATE INDEX enrolments_expires_at ON enrolments (expires_at, id);

-- An enrolled resident. internet_number is unique; phone_index, the blind
-- index of the login phone, is unique when set (NULL for none: NULLs are
-- distinct on both engines).
CREATE TABLE residents (
	id              TEXT    NOT NULL PRIMARY KEY,
	internet_number TEXT    NOT NULL UNIQUE,
	status          TEXT    NOT NULL,
	pathway         TEXT    NOT NULL,
	ceiling         TEXT    NOT NULL,
	identity        BLOB    NOT NULL,
	phone           BLOB    NOT NULL,
	phone_index     BLOB    UNIQUE,
	password_hash   TEXT    NOT NULL,
	template        BLOB    NOT NULL,
	dynamic_secret  BLOB    NOT NULL,
	registrar_id    TEXT    NOT NULL,
	approval_hash   BLOB    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version         INTEGER NOT NULL
) STRICT;

-- One account per identity: the primary key on the anchor's blind index is
-- what makes two concurrent enrolments of one document end in one account.
-- key_id names the blind-index key, so that a rotation can re-index.
CREATE TABLE identity_anchors (
	anchor_index BLOB    NOT NULL PRIMARY KEY,
	key_id       TEXT    NOT NULL,
	resident_id  TEXT    NOT NULL,
	pathway      TEXT    NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX identity_anchors_resident ON identity_anchors (resident_id, created_at);

-- Every internet number ever assigned. Rows are never deleted, so the
-- primary key keeps a retired number from being assigned again.
-- retired_at is NULL while the number is in use.
CREATE TABLE internet_numbers (
	number      TEXT    NOT NULL PRIMARY KEY,
	resident_id TEXT    NOT NULL,
	assigned_at INTEGER NOT NULL,
	retired_at  INTEGER
) STRICT;

-- Guardian links with their evidence (sealed under the minor's data key).
CREATE TABLE guardian_links (
	minor_id      TEXT    NOT NULL,
	guardian_id   TEXT    NOT NULL,
	relationship  TEXT    NOT NULL,
	evidence_kind TEXT    NOT NULL,
	evidence      BLOB    NOT NULL,
	kind          TEXT    NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (minor_id, guardian_id)
) STRICT;

CREATE INDEX guardian_links_guardian ON guardian_links (guardian_id, created_at);

-- Registrars, created by the operator. token_hash is the hash of the
-- registrar's bearer token.
CREATE TABLE registrars (
	id         TEXT    NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	token_hash BLOB    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) STRICT;
