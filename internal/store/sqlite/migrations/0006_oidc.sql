-- OpenID provider (rp.Store, oidc.Store): relying parties, login sessions,
-- interactions, remembered consents, grants and tokens, the pinned pairwise
-- key, and disclosures. Secrets, codes, tokens and session ids are stored
-- only as SHA-256 hashes. Lists are JSON arrays in TEXT; times are Unix
-- microseconds (UTC), 0 meaning "not yet" for used_at and revoked_at;
-- booleans are 0 or 1 (the same SQL on both engines).

-- A registered relying party. version is the compare-and-set counter.
CREATE TABLE relying_parties (
	client_id                   TEXT    NOT NULL PRIMARY KEY,
	secret_hash                 BLOB    NOT NULL,
	name                        TEXT    NOT NULL,
	redirect_uris               TEXT    NOT NULL,
	post_logout_redirect_uris   TEXT    NOT NULL,
	sector                      TEXT    NOT NULL,
	approved_claims             TEXT    NOT NULL,
	may_receive_internet_number INTEGER NOT NULL,
	shares_onward               INTEGER NOT NULL,
	min_assurance               TEXT    NOT NULL,
	status                      TEXT    NOT NULL,
	created_at                  INTEGER NOT NULL,
	updated_at                  INTEGER NOT NULL,
	version                     INTEGER NOT NULL
) STRICT;

-- A login session; the browser holds the id, the table its hash.
CREATE TABLE oidc_sessions (
	id_hash         BLOB    NOT NULL PRIMARY KEY,
	resident_id     TEXT    NOT NULL,
	internet_number TEXT    NOT NULL,
	acr             TEXT    NOT NULL,
	amr             TEXT    NOT NULL,
	auth_time       INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX oidc_sessions_resident ON oidc_sessions (resident_id);
CREATE INDEX oidc_sessions_expires_at ON oidc_sessions (expires_at);

-- An authorization request waiting for the resident (login, consent).
-- request is the provider's JSON; session_hash is empty until login.
CREATE TABLE oidc_interactions (
	id           TEXT    NOT NULL PRIMARY KEY,
	client_id    TEXT    NOT NULL,
	request      BLOB    NOT NULL,
	session_hash BLOB    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	version      INTEGER NOT NULL
) STRICT;

CREATE INDEX oidc_interactions_expires_at ON oidc_interactions (expires_at);

-- A remembered consent of one resident for one relying party.
CREATE TABLE oidc_consents (
	resident_id TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	claims      TEXT    NOT NULL,
	plaintext   INTEGER NOT NULL,
	onward      INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	PRIMARY KEY (resident_id, client_id)
) STRICT;

-- A grant: one authorization code and the root of every token issued from
-- it. code_used_at is set once (the single use of the code); revoked_at
-- revokes every token of the grant.
CREATE TABLE oidc_grants (
	id              TEXT    NOT NULL PRIMARY KEY,
	client_id       TEXT    NOT NULL,
	resident_id     TEXT    NOT NULL,
	subject         TEXT    NOT NULL,
	scopes          TEXT    NOT NULL,
	claims          TEXT    NOT NULL,
	acr             TEXT    NOT NULL,
	amr             TEXT    NOT NULL,
	auth_time       INTEGER NOT NULL,
	nonce           TEXT    NOT NULL,
	redirect_uri    TEXT    NOT NULL,
	code_hash       BLOB    NOT NULL UNIQUE,
	code_challenge  TEXT    NOT NULL,
	code_expires_at INTEGER NOT NULL,
	code_used_at    INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	revoked_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX oidc_grants_resident ON oidc_grants (resident_id, client_id);
CREATE INDEX oidc_grants_expires_at ON oidc_grants (expires_at);

-- An access or refresh token of a grant. used_at is set once (the single
-- use of a refresh token).
CREATE TABLE oidc_tokens (
	token_hash BLOB    NOT NULL PRIMARY KEY,
	kind       TEXT    NOT NULL,
	grant_id   TEXT    NOT NULL,
	client_id  TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL
) STRICT;

CREATE INDEX oidc_tokens_expires_at ON oidc_tokens (expires_at);

-- Provider settings that all nodes must share for ever (the pairwise key).
CREATE TABLE oidc_settings (
	name  TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- One release of claims to one relying party: names, never values. Kept
-- when grants are pruned; the resident's transparency log reads it.
CREATE TABLE disclosures (
	id          TEXT    NOT NULL PRIMARY KEY,
	resident_id TEXT    NOT NULL,
	client_id   TEXT    NOT NULL,
	grant_id    TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	acr         TEXT    NOT NULL,
	claims      TEXT    NOT NULL,
	kind        TEXT    NOT NULL
) STRICT;

CREATE INDEX disclosures_resident_at ON disclosures (resident_id, at, id);
